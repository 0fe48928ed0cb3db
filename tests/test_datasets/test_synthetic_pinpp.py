"""Tests of the synthetic PIN++ generator: layout, determinism, part geometry, defects and the CLI."""
import json
import os
import os.path as osp
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set, Tuple

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmpart.datasets.converters import synthetic_pinpp as synth
from mmpart.datasets.converters.pinpp_release import PINPPRelease

REPO = Path(__file__).resolve().parents[2]
SMALL = dict(num_classes=3, images_per_class=4, unlabeled_per_class=2, val_per_class=2, image_size=64)
TINY = dict(images_per_class=2, unlabeled_per_class=1, val_per_class=1, image_size=48)  # 6 defect slots


def _generate(root: Path, **kwargs) -> Tuple[str, dict]:
    out = str(root)
    return out, synth.make_synthetic_pinpp(out, **{**SMALL, **kwargs})


@pytest.fixture(scope='module')
def release(tmp_path_factory) -> Tuple[str, dict]:
    return _generate(tmp_path_factory.mktemp('defects'))


@pytest.fixture(scope='module')
def clean_release(tmp_path_factory) -> Tuple[str, dict]:
    return _generate(tmp_path_factory.mktemp('clean'), defects=False)


def _tree(root: str) -> Dict[str, bytes]:
    """Relative path -> content of every file under ``root``."""
    return {osp.relpath(osp.join(d, n), root): Path(d, n).read_bytes()
            for d, _, names in os.walk(root) for n in names}


def _load_json(path: str):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _class_jsons(out: str) -> Dict[str, dict]:
    json_dir = osp.join(out, 'pinpp', 'json')
    return {n[:-5]: _load_json(osp.join(json_dir, n)) for n in sorted(os.listdir(json_dir))}


def _label_map(annotations: List[Tuple[int, List[List[float]]]], size: int) -> np.ndarray:
    """Paint each annotation's valid polygons with its category id, in id order (pycocotools raster)."""
    labels = np.zeros((size, size), np.int64)
    for category_id, polygons in sorted(annotations, key=lambda a: a[0]):
        valid = [p for p in polygons if len(p) >= 6]
        if valid:
            rle = mask_utils.merge(mask_utils.frPyObjects(valid, size, size))
            labels[mask_utils.decode(rle).astype(bool)] = category_id
    return labels


def _find_defects(out: str) -> Dict[str, Set[str]]:
    """Scan the written files (not the summary) for each kind of defect."""
    found = defaultdict(set)
    for wnid, coco in _class_jsons(out).items():
        names = {img['id']: img['file_name'].split('/')[1] for img in coco['images']}
        for ann in coco['annotations']:
            short = [len(p) < 6 for p in ann['segmentation']]
            if all(short):
                found['short_only_polygon'].add(names[ann['image_id']])
            elif any(short):
                found['short_polygon'].add(names[ann['image_id']])
            elif ann['area'] == 0:
                found['zero_area'].add(names[ann['image_id']])
        for name in names.values():
            path = osp.join(out, 'imagenet', 'train', wnid, name)
            if not osp.exists(path):
                found['missing_file'].add(name)
            elif Image.open(path).mode != 'RGB':
                found['grayscale'].add(name)
    for record in _load_json(osp.join(out, 'pinpp', 'discarded_data.json')):
        found['discarded'].add(record['file_name'].split('/')[1])
    return dict(found)


def test_layout_and_counts(release):
    out, summary = release
    wnids = summary['wnids']
    assert wnids == ['n90000000', 'n90000001', 'n90000002']
    unlabeled = Path(out, 'unlabeled.txt').read_text().splitlines()
    assert len(unlabeled) == 3 * 2
    assert all(osp.isfile(osp.join(out, 'imagenet', 'train', u)) for u in unlabeled)
    missing = {d['file_name'] for d in summary['defects'] if d['defect'] == 'missing_file'}
    for wnid in wnids:
        train = set(os.listdir(osp.join(out, 'imagenet', 'train', wnid)))
        val = sorted(os.listdir(osp.join(out, 'imagenet', 'val', wnid)))
        annotated = {img['file_name'].split('/')[1] for img in _class_jsons(out)[wnid]['images']}
        pool = {u.split('/')[1] for u in unlabeled if u.startswith(f'{wnid}/')}
        assert len(annotated) == 4 and len(pool) == 2 and not annotated & pool
        assert train == (annotated - missing) | pool
        assert val == [f'{wnid}_val_0.JPEG', f'{wnid}_val_1.JPEG']
        assert Image.open(osp.join(out, 'imagenet', 'val', wnid, val[0])).size == (64, 64)
        assert osp.isfile(osp.join(out, 'pinpp', 'including', f'{wnid}.txt'))
    assert _load_json(osp.join(out, synth.MARKER))['images_per_class'] == 4
    num_annotations = sum(len(c['annotations']) for c in _class_jsons(out).values())
    assert summary['counts'] == {'classes': 3, 'annotated': 12, 'unlabeled': 6, 'val': 6,
                                 'part_categories': 12, 'annotations': num_annotations}


def test_release_shapes(release):
    """The shapes the real release is known to have (DESIGN §2.1)."""
    out, summary = release
    coco = _class_jsons(out)['n90000001']
    assert coco['images'][0] == {'id': 1, 'width': 64, 'height': 64, 'file_name': 'n90000001/n90000001_0.JPEG'}
    assert _load_json(osp.join(out, 'pinpp', 'category_name.json'))[1] == {
        'file_name': 'n90000001.json', 'object_name': 'dotted fish', 'part_names': ['tail', 'fin', 'body']}
    assert _load_json(osp.join(out, 'pinpp', 'discarded_data.json')) == [
        {'file_name': f'{d["wnid"]}/{d["file_name"]}'} for d in summary['defects'] if d['defect'] == 'discarded']
    spec = synth._class_spec(6)  # house: two containment lines
    written = synth.make_synthetic_pinpp(osp.join(out, 'house'), num_classes=7, images_per_class=1,
                                         unlabeled_per_class=0, val_per_class=0, image_size=32)
    assert written['wnids'][6] == spec.wnid
    assert Path(out, 'house', 'pinpp', 'including', f'{spec.wnid}.txt').read_bytes() == b'door:wall\r\nwindow:wall'


def test_release_reader_loads_it(release):
    out, summary = release
    reader = PINPPRelease(osp.join(out, 'pinpp'))
    assert reader.wnids() == summary['wnids']
    assert {w: n.object_name for w, n in reader.category_names().items()} == summary['names'] == {
        'n90000000': 'striped quadruped', 'n90000001': 'dotted fish', 'n90000002': 'checkered bird'}
    assert reader.discarded() == {d['file_name'] for d in summary['defects'] if d['defect'] == 'discarded'}
    assert reader.including('n90000002') == [('wing', 'body')] and reader.including('n90000000') == []
    quadruped = reader.load_class('n90000000')
    assert quadruped.parts == [(1, 'tail'), (2, 'leg'), (3, 'body'), (4, 'head')]
    assert [img.file_name for img in quadruped.images] == [f'n90000000_{i}.JPEG' for i in range(4)]
    legs = [a for a in quadruped.images[1].annotations if a.category_id == 2]
    assert len(legs) == 1 and len(legs[0].segmentation) == 4  # one "leg" part made of four polygons


def test_same_seed_same_bytes_other_seed_other_images(tmp_path):
    first = _tree(_generate(tmp_path / 'a', seed=3, **TINY)[0])
    assert first == _tree(_generate(tmp_path / 'b', seed=3, **TINY)[0])
    other = _tree(_generate(tmp_path / 'c', seed=4, **TINY)[0])
    assert first.keys() == other.keys()
    images = [k for k in first if k.endswith('.JPEG')]
    assert all(first[k] != other[k] for k in images)


def test_changing_a_count_keeps_the_other_images(tmp_path):
    small = _tree(_generate(tmp_path / 'a', **TINY)[0])
    large = _tree(_generate(tmp_path / 'b', **{**TINY, 'images_per_class': 3, 'unlabeled_per_class': 2})[0])
    images = [k for k in small if k.endswith('.JPEG')]
    assert all(small[k] == large[k] for k in images)


@pytest.mark.parametrize('class_index', range(8))
def test_polygons_rasterise_to_the_painted_parts(class_index):
    spec = synth._class_spec(class_index)
    rng_state = (0, class_index, 'train', 5)
    pixels, parts = synth._render(spec, synth._image_rng(*rng_state), 96, solid=True)
    _, textured = synth._render(spec, synth._image_rng(*rng_state), 96)
    assert [[p.tolist() for p in ps] for _, ps in parts] == [[p.tolist() for p in ps] for _, ps in textured]

    palette = np.array([(0, 0, 0), *synth._SOLID_PALETTE], float)
    painted = np.linalg.norm(pixels[..., None, :] - palette, axis=-1).argmin(-1)
    expected = _label_map([(cid, [p.ravel().tolist() for p in polys]) for cid, polys in parts], 96)
    foreground = (painted > 0) | (expected > 0)
    assert set(np.unique(expected)) == set(range(len(spec.parts) + 1))
    assert (painted == expected)[foreground].mean() > 0.95


def test_json_holds_the_drawn_polygons(clean_release):
    out, _ = clean_release
    for k, coco in enumerate(_class_jsons(out).values()):
        for img in coco['images']:
            index = img['id'] - 1
            _, parts = synth._render(synth._class_spec(k), synth._image_rng(0, k, 'train', index), 64)
            anns = sorted(((a['category_id'], a['segmentation'], a) for a in coco['annotations']
                           if a['image_id'] == img['id']), key=lambda a: a[0])
            drawn = [(cid, [p.ravel().tolist() for p in polys]) for cid, polys in parts]
            assert drawn == [a[:2] for a in anns]
            for _, segmentation, ann in anns:
                xs = [x for p in segmentation for x in p[0::2]]
                ys = [y for p in segmentation for y in p[1::2]]
                assert 0 <= min(xs) and max(xs) <= 64 and 0 <= min(ys) and max(ys) <= 64
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                assert ann['bbox'] == pytest.approx(box, abs=0.01)
                raster = mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(segmentation, 64, 64)))
                assert ann['area'] == pytest.approx(float(raster), rel=0.25, abs=8)


def test_defects_are_planted(release):
    out, summary = release
    planted = {d['defect']: {d['file_name']} for d in summary['defects']}
    assert list(planted) == list(synth.DEFECTS)
    assert len({d['file_name'] for d in summary['defects']}) == len(synth.DEFECTS)
    assert _find_defects(out) == planted
    for coco in _class_jsons(out).values():
        for ann in coco['annotations']:
            if ann['area'] == 0 and len(ann['segmentation'][0]) >= 6:
                xy = np.reshape(ann['segmentation'][0], (-1, 2))
                assert np.linalg.matrix_rank(xy[1:] - xy[0]) == 1  # collinear


def test_no_defects_when_disabled(clean_release):
    out, summary = clean_release
    assert summary['defects'] == [] and _find_defects(out) == {}
    assert _load_json(osp.join(out, 'pinpp', 'discarded_data.json')) == []


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match='defects=True'):
        synth.make_synthetic_pinpp(str(tmp_path), num_classes=2, images_per_class=2)
    with pytest.raises(ValueError):
        synth.make_synthetic_pinpp(str(tmp_path), num_classes=0)
    assert not tmp_path.joinpath(synth.MARKER).exists()


def test_rerun_replaces_a_synthetic_output_only(tmp_path):
    _generate(tmp_path / 'rerun', **TINY)
    other = {**TINY, 'num_classes': 2, 'images_per_class': 3, 'seed': 1}
    _generate(tmp_path / 'rerun', **other)
    assert _tree(str(tmp_path / 'rerun')) == _tree(_generate(tmp_path / 'fresh', **other)[0])

    (tmp_path / 'real' / 'imagenet').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='imagenet'):
        _generate(tmp_path / 'real', **TINY)
    assert os.listdir(tmp_path / 'real') == ['imagenet']


def test_cli(tmp_path):
    out = tmp_path / 'cli'
    cmd = [sys.executable, 'tools/dataset_converters/make_synthetic_pinpp.py', str(out), '--num-classes', '2',
           '--images-per-class', '2', '--unlabeled-per-class', '1', '--val-per-class', '1',
           '--image-size', '48', '--seed', '7', '--no-defects']
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '8/8' in result.stdout  # the progress bar over 2 classes x (2 + 1 + 1) images
    summary = json.loads(result.stdout[result.stdout.index('\n{') + 1:])
    assert summary['wnids'] == ['n90000000', 'n90000001'] and summary['defects'] == []
    assert PINPPRelease(str(out / 'pinpp')).wnids() == summary['wnids']
    assert Image.open(out / 'imagenet' / 'val' / 'n90000001' / 'n90000001_val_0.JPEG').size == (48, 48)
