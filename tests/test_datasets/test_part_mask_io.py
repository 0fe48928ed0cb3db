"""Part-mask files: the indexed layout (issue 25) and the 16-bit one read as the same ids; the upgrade command."""
import os
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mmpart.datasets.part_mask_io import PART_IDS_KEY, read_part_mask, upgrade_part_mask, write_part_mask

TOOL = str(Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters' / 'upgrade_part_masks.py')


def pin_like_mask(seed: int = 0, shape=(37, 53)) -> np.ndarray:
    """Background and a few global part ids above 255 (PIN++ ids go to 3,310)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(shape, np.uint16)
    for part_id in rng.choice(np.arange(1, 3311), 5, replace=False):
        top, left = rng.integers(0, shape[0] - 5), rng.integers(0, shape[1] - 5)
        mask[top:top + rng.integers(3, 20), left:left + rng.integers(3, 20)] = part_id
    return mask


def png_info(path) -> tuple:
    with Image.open(path) as img:
        return img.mode, dict(img.info)


@pytest.mark.parametrize('layout,mode', [('indexed', 'P'), ('uint16', 'I;16')])
def test_both_layouts_read_back_the_ids(tmp_path, layout, mode):
    mask = pin_like_mask()
    path = str(tmp_path / 'm.png')
    write_part_mask(path, mask, layout)
    assert png_info(path)[0] == mode
    ids = read_part_mask(path)
    assert ids.dtype == np.uint16
    np.testing.assert_array_equal(ids, mask)


def test_indexed_layout_lists_the_images_ids_and_colours_them(tmp_path):
    mask = pin_like_mask()
    path = str(tmp_path / 'm.png')
    write_part_mask(path, mask)
    mode, info = png_info(path)
    assert info[PART_IDS_KEY] == ' '.join(str(i) for i in np.unique(mask))
    with Image.open(path) as img:
        indices = np.asarray(img)
        palette = np.array(img.getpalette()).reshape(-1, 3)
    np.testing.assert_array_equal(np.unique(mask)[indices], mask)
    assert (palette[0] == 0).all() and len({tuple(c) for c in palette[1:len(np.unique(mask))]}) == 5
    write_part_mask(str(tmp_path / 'again.png'), mask)  # the converter's reruns compare bytes
    assert (tmp_path / 'again.png').read_bytes() == Path(path).read_bytes()


def test_more_than_256_ids_are_written_16_bit(tmp_path):
    mask = np.arange(20 * 30, dtype=np.uint16).reshape(20, 30) * 5
    path = str(tmp_path / 'm.png')
    write_part_mask(path, mask)
    assert png_info(path)[0] == 'I;16'
    np.testing.assert_array_equal(read_part_mask(path), mask)


def test_a_palette_png_without_the_id_list_reads_as_indices(tmp_path):
    indices = (np.arange(60).reshape(6, 10) % 7).astype(np.uint8)
    img = Image.fromarray(indices)
    img.putpalette([0, 0, 0] * 7)
    img.save(tmp_path / 'p.png')
    np.testing.assert_array_equal(read_part_mask(str(tmp_path / 'p.png')), indices)


def write_indexed(path, indices: np.ndarray, id_list: str) -> str:
    img = Image.fromarray(indices)
    img.putpalette([0, 0, 0] * 256)
    info = PngImagePlugin.PngInfo()
    info.add_text(PART_IDS_KEY, id_list)
    img.save(path, pnginfo=info)
    return str(path)


@pytest.mark.parametrize('id_list,message', [
    ('0 12 x', 'not a list of integers'),
    ('0 70000', 'uint16 range'),
    ('', '1 to 256 ids'),
    ('0 12', 'has palette index 2, but its mmpart:part_ids chunk lists 2 ids'),
])
def test_a_broken_id_list_names_the_file(tmp_path, id_list, message):
    path = write_indexed(tmp_path / 'bad.png', np.array([[0, 1], [2, 1]], np.uint8), id_list)
    with pytest.raises(ValueError, match=message) as err:
        read_part_mask(path)
    assert path in str(err.value)


def test_a_truncated_png_names_the_file(tmp_path):
    path = tmp_path / 'm.png'
    write_part_mask(str(path), pin_like_mask())
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(OSError, match=f'Cannot read part mask {path}'):
        read_part_mask(str(path))


def test_upgrade_rewrites_16_bit_masks_once_and_keeps_the_ids(tmp_path):
    mask = pin_like_mask(1)
    old, many = str(tmp_path / 'old.png'), str(tmp_path / 'many.png')
    write_part_mask(old, mask, 'uint16')
    write_part_mask(many, np.arange(600, dtype=np.uint16).reshape(20, 30), 'uint16')
    assert upgrade_part_mask(old) is True
    assert png_info(old)[0] == 'P'
    np.testing.assert_array_equal(read_part_mask(old), mask)
    assert upgrade_part_mask(old) is False and upgrade_part_mask(many) is False
    assert png_info(many)[0] == 'I;16'
    assert sorted(os.listdir(tmp_path)) == ['many.png', 'old.png']  # no temporary file left


def test_upgrade_of_an_unreadable_mask_leaves_it(tmp_path):
    path = tmp_path / 'broken.png'
    path.write_bytes(b'not a png')
    with pytest.raises(OSError, match=f'Cannot read part mask {path}'):
        upgrade_part_mask(str(path))
    assert path.read_bytes() == b'not a png' and os.listdir(tmp_path) == ['broken.png']


def test_upgrade_command(tmp_path, monkeypatch, capsys):
    masks = {}
    for i, wnid in enumerate(['n01', 'n01', 'n02']):
        masks[str(tmp_path / 'seg' / wnid / f'{wnid}_{i}.png')] = pin_like_mask(i)
        write_part_mask(str(tmp_path / 'seg' / wnid / f'{wnid}_{i}.png'), pin_like_mask(i), 'uint16')
    write_part_mask(str(tmp_path / 'seg' / 'n02' / 'n02_9.png'), pin_like_mask(9))  # already indexed
    monkeypatch.setattr(sys, 'argv', [TOOL, str(tmp_path / 'seg')])
    runpy.run_path(TOOL, run_name='__main__')
    assert '3 of 4 masks rewritten as indexed PNGs; 1 left as they were' in capsys.readouterr().out
    for path, mask in masks.items():
        assert png_info(path)[0] == 'P'
        np.testing.assert_array_equal(read_part_mask(path), mask)
    monkeypatch.setattr(sys, 'argv', [TOOL, str(tmp_path / 'nowhere')])
    with pytest.raises(SystemExit, match='No mask folder'):
        runpy.run_path(TOOL, run_name='__main__')


def test_upgrade_that_would_change_ids_stops_and_keeps_the_original(tmp_path, monkeypatch):
    from mmpart.datasets import part_mask_io

    path = str(tmp_path / 'm.png')
    write_part_mask(path, pin_like_mask(), 'uint16')
    original = Path(path).read_bytes()
    monkeypatch.setattr(part_mask_io, 'write_part_mask', lambda p, m: write_part_mask(p, m // 2))
    with pytest.raises(RuntimeError, match=f'Upgrading part mask {path}: the indexed copy does not read back'):
        upgrade_part_mask(path)
    assert Path(path).read_bytes() == original and os.listdir(tmp_path) == ['m.png']
