"""PIN++ converter: exact rasterisation, paint order, defects, RLE, part counts, reruns, views, CLI, errors."""
import hashlib
import json
import logging
import os
import os.path as osp
import runpy
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.logging import MMLogger
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from mmpart.datasets.converters import pinpp_converter
from mmpart.datasets.converters.pinpp_converter import ImagesNotFoundError, convert_pinpp, format_part_counts
from mmpart.datasets.converters.pinpp_release import ReleaseClass, ReleaseFormatError
from mmpart.datasets.part_id_table import PartIdTable
from mmpart.datasets.part_mask_io import read_part_mask

from .release_builder import rect, write_json, write_release

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools' / 'dataset_converters' / 'pinpp.py')


def convert(root, **kwargs):
    return convert_pinpp(str(root / 'release'), str(root / 'imagenet'), str(root / 'out'), **kwargs)


def read_mask(root, wnid, stem):
    """The part ids of a converted mask, as every dataset reads them (the file is an indexed PNG)."""
    return read_part_mask(str(root / 'out' / 'seg' / wnid / f'{stem}.png'))


class _Collect(logging.Handler):
    def __init__(self, messages: list) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged() -> list:
    """Warnings (and worse) the converter logs to mmengine's current logger."""
    messages = []
    logger = MMLogger.get_current_instance()
    handler = _Collect(messages)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


def test_polygon_to_png_exact_pixels(two_classes):
    summary = convert(two_classes, val_ratio=0.0)
    table = PartIdTable.load(str(two_classes / 'out' / 'part_ids.json'))
    # ids: background 0, then class by class in wnid order, parts by per-class id
    assert table.class_names() == ('background', 'n00000001:body', 'n00000001:window',
                                   'n00000002:head', 'n00000002:tail')
    # object names from category_name.json's per-file records
    assert table.object_names == {'n00000001': 'object n00000001', 'n00000002': 'object n00000002'}
    expected = np.zeros((10, 12), np.uint16)
    expected[1:8, 1:9] = 1  # rectangle (1, 1)-(9, 8) covers pixel columns 1..8, rows 1..7
    expected[2:5, 3:6] = 2
    mask = read_mask(two_classes, 'n00000001', 'n00000001_1')
    assert mask.dtype == np.uint16
    np.testing.assert_array_equal(mask, expected)
    # two polygons of one annotation
    expected = np.zeros((10, 12), np.uint16)
    expected[0:4, 0:4] = 1
    expected[6:10, 8:12] = 1
    np.testing.assert_array_equal(read_mask(two_classes, 'n00000001', 'n00000001_2'), expected)
    # overlap without containment: the smaller part (tail) is painted last
    expected = np.zeros((10, 12), np.uint16)
    expected[0:8, 0:8] = 3
    expected[6:9, 6:10] = 4
    np.testing.assert_array_equal(read_mask(two_classes, 'n00000002', 'n00000002_1'), expected)
    assert summary['images'] == dict(train=3, val=0) and summary['annotations'] == 5
    assert all(v == 0 for v in summary['reported'].values())


def test_containment_wins_over_area(tmp_path, warnings_logged):
    """The nose lies in the head (including/, CRLF, other case and spacing) but its polygon is larger:
    only containment puts it on top (painting by area would put the head there)."""
    write_release(tmp_path, {'n00000001': dict(
        parts=[(1, 'head'), (2, 'nose')], including=['Nose :  HEAD', 'horn:head'], images={
            'n00000001_1.JPEG': (12, 10, [(1, [rect(0, 0, 6, 6)]), (2, [rect(2, 2, 10, 10)])])})})
    summary = convert(tmp_path, val_ratio=0.0)
    expected = np.zeros((10, 12), np.uint16)
    expected[0:6, 0:6] = 1
    expected[2:10, 2:10] = 2
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_1'), expected)
    # a part name that matches no category is warned about, with its name, not silently ignored
    assert summary['warnings']['unmatched_including'] == {'n00000001': ['horn']}
    assert len(warnings_logged) == 1 and 'n00000001: horn' in warnings_logged[0]


def test_coco_and_split_views(two_classes):
    convert(two_classes, val_ratio=0.5, with_objects=True)
    out = two_classes / 'out'
    train = COCO(str(out / 'coco' / 'pinpp_parts_train.json'))
    val = COCO(str(out / 'coco' / 'pinpp_parts_val.json'))
    assert sorted(train.getCatIds()) == [1, 2, 3, 4, 5, 6]  # 4 parts + 2 objects
    assert train.loadCats(6)[0]['name'] == 'n00000002'
    # every part annotation rasterises back to its region of the mask where it is on top
    for coco in (train, val):
        for ann in coco.loadAnns(coco.getAnnIds()):
            info = coco.loadImgs(ann['image_id'])[0]
            wnid, name = info['file_name'].split('/')
            mask = read_mask(two_classes, wnid, osp.splitext(name)[0])
            ann_mask = coco.annToMask(ann).astype(bool)
            if ann['category_id'] <= 4:
                assert (mask[ann_mask] == ann['category_id']).mean() > 0.5
            else:  # object = union of the parts
                np.testing.assert_array_equal(ann_mask, mask != 0)
    # val_ratio 0.5, evenly spaced per class: 1 of the 2 images of n00000001, 0 of the 1 of n00000002
    assert (out / 'splits' / 'val.txt').read_text() == 'n00000001/n00000001_2\n'
    assert (out / 'splits' / 'train.txt').read_text() == 'n00000001/n00000001_1\nn00000002/n00000002_1\n'
    assert (out / 'whether_pseudo' / 'n00000001.txt').read_text() == (
        'n00000001/n00000001_1.JPEG 0\nn00000001/n00000001_2.JPEG 0\n')
    assert osp.islink(out / 'img' / 'n00000001' / 'n00000001_1.JPEG')
    assert Image.open(out / 'img' / 'n00000001' / 'n00000001_1.JPEG').size == (12, 10)


def tree_digest(root):
    digest = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = osp.join(dirpath, f)
            with open(path, 'rb') as fh:
                digest[osp.relpath(path, root)] = hashlib.sha1(fh.read()).hexdigest()
    return digest


def test_rerun_skips_finished_work_and_is_byte_identical(two_classes):
    convert(two_classes)
    out = two_classes / 'out'
    first = tree_digest(out)
    mtimes = {p: os.stat(out / 'seg' / p).st_mtime_ns for p in ('n00000001/n00000001_1.png',
                                                                  'n00000002/n00000002_1.png')}
    convert(two_classes)
    assert tree_digest(out) == first
    assert all(os.stat(out / 'seg' / p).st_mtime_ns == t for p, t in mtimes.items())
    # a changed class json is converted again; the other class is still skipped
    path = two_classes / 'release' / 'json' / 'n00000002.json'
    data = json.loads(path.read_text())
    data['annotations'][1]['segmentation'] = [rect(0, 8, 3, 10)]
    path.write_text(json.dumps(data))
    convert(two_classes)
    assert os.stat(out / 'seg' / 'n00000001/n00000001_1.png').st_mtime_ns == mtimes['n00000001/n00000001_1.png']
    assert read_mask(two_classes, 'n00000002', 'n00000002_1')[9, 1] == 4
    assert not [f for f in tree_digest(out) if f.endswith('.tmp')]
    # so is a class whose containment changed: without "window:body" the larger body is painted first anyway,
    # but with "body:window" the body goes on top
    (two_classes / 'release' / 'including' / 'n00000001.txt').write_bytes(b'body:window\r\n')
    convert(two_classes)
    assert read_mask(two_classes, 'n00000001', 'n00000001_1')[3, 4] == 1


def test_defects_are_reported_not_fatal(tmp_path):
    classes = {'n00000001': dict(parts=[(1, 'body'), (2, 'leg')], images={
        'n00000001_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4), [1, 1, 2, 2]]), (2, [[0, 0, 3, 3]])]),
        'n00000001_2.JPEG': (8, 8, [(1, [[0, 0, 2, 2, 4, 4, 6, 6]]), (2, [rect(4, 4, 8, 8)])]),
        'n00000001_3.JPEG': (8, 8, [(1, [rect(0, 0, 8, 8)])]),
        'n00000001_4.JPEG': (8, 8, [(1, [rect(0, 0, 8, 8)])]),
        'n00000001_5.JPEG': (8, 8, [(3, [rect(0, 0, 8, 8)]), (2, [rect(0, 0, 2, 2)])]),
        'missing_6.JPEG': (8, 8, [(1, [rect(0, 0, 8, 8)])]),
    })}
    write_release(tmp_path, classes, discarded=['n00000001/n00000001_4.JPEG'], gray=['n00000001_3.JPEG'])
    summary = convert(tmp_path, val_ratio=0.0, max_missing_ratio=0.5)
    reported = {k: v for k, v in summary['reported'].items() if v}
    # a 2-point polygon beside a valid one is dropped (degenerate_polygon); alone, its annotation is
    assert reported == dict(degenerate_polygon=1, annotation_without_polygon=1, zero_area=1,
                            missing_image=1, discarded=1, grayscale=1, unknown_category=1)
    assert summary['images']['train'] == 4
    expected = np.zeros((8, 8), np.uint16)
    expected[0:4, 0:4] = 1
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_1'), expected)
    assert (read_mask(tmp_path, 'n00000001', 'n00000001_3') == 1).all()  # grayscale image kept
    assert not (tmp_path / 'out' / 'seg' / 'n00000001' / 'n00000001_4.png').exists()
    saved = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert saved['reported'] == summary['reported']
    assert saved['examples']['n00000001']['missing_image'] == ['n00000001/missing_6.JPEG']


def encode(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode())


def uncompressed(mask):
    flat, runs, value, n = mask.flatten(order='F'), [], 0, 0
    for v in flat:
        if v != value:
            runs.append(n)
            value, n = v, 0
        n += 1
    return dict(size=list(mask.shape), counts=runs + [n])


def test_rle_segmentations(tmp_path):
    """Compressed and uncompressed RLE beside polygons; a broken RLE is reported and skipped, its class kept."""
    head, body, tail = (np.zeros((10, 12), bool) for _ in range(3))
    head[1:4, 1:5] = True
    body[2:9, 3:11] = True
    tail[8:10, 0:3] = True
    bad = encode(tail)
    bad['counts'] = bad['counts'][:-1] + chr(ord(bad['counts'][-1]) + 1)  # runs no longer cover the image
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'head'), (2, 'body'), (3, 'tail')], images={
        'n00000001_1.JPEG': (12, 10, [(1, encode(head)), (2, uncompressed(body)), (3, [rect(0, 8, 3, 10)])]),
        'n00000001_2.JPEG': (12, 10, [(3, bad), (2, dict(size=[12, 10], counts=encode(body)['counts'])),
                                      (1, encode(head))])})})
    summary = convert(tmp_path, val_ratio=0.0, with_objects=True)
    assert {k: v for k, v in summary['reported'].items() if v} == dict(bad_rle=1, rle_size_mismatch=1)
    expected = np.zeros((10, 12), np.uint16)
    expected[body] = 2
    expected[head] = 1  # smaller
    expected[tail] = 3
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_1'), expected)
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_2'), np.where(head, 1, 0))
    coco = COCO(str(tmp_path / 'out' / 'coco' / 'pinpp_parts_train.json'))
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    assert [type(a['segmentation']).__name__ for a in anns] == ['dict', 'dict', 'list', 'dict']  # + object (RLE)
    for ann, part in zip(anns, (head, body, tail, head | body | tail)):
        np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), part)
        assert ann['area'] == part.sum()


def test_category_ids_in_any_numbering_and_file_names_with_or_without_folder(tmp_path):
    write_release(tmp_path, {'n00000001': dict(parts=[(9, 'tail'), (0, 'head'), (4, 'body')], images={
        'n00000001_1.JPEG': (8, 8, [(0, [rect(0, 0, 2, 2)]), (4, [rect(2, 2, 8, 8)]), (9, [rect(7, 0, 8, 1)])]),
        'n00000001_2.JPEG': (8, 8, [(4, [rect(0, 0, 8, 8)])]),
        'n00000001_3.JPEG': (8, 8, [(4, [rect(0, 0, 8, 8)])])})})
    path = tmp_path / 'release' / 'json' / 'n00000001.json'
    data = json.loads(path.read_text())
    data['images'][1]['file_name'] = 'n00000001_2.JPEG'  # without the folder
    data['images'][2]['file_name'] = 'n01440764/n00000001_3.JPEG'  # another class's folder
    path.write_text(json.dumps(data))
    summary = convert(tmp_path, val_ratio=0.0)
    table = PartIdTable.load(str(tmp_path / 'out' / 'part_ids.json'))
    assert [(p.id, p.name, p.source_id) for p in table.parts] == [(1, 'head', 0), (2, 'body', 4), (3, 'tail', 9)]
    expected = np.zeros((8, 8), np.uint16)
    expected[0:2, 0:2], expected[2:8, 2:8], expected[0, 7] = 1, 2, 3
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_1'), expected)
    assert (read_mask(tmp_path, 'n00000001', 'n00000001_2') == 2).all()
    assert summary['reported']['wrong_folder'] == 1 and summary['images']['train'] == 2


def test_part_display_names_from_category_name_json(tmp_path, warnings_logged):
    classes = {'n00000001': dict(parts=[(1, 'left_wing'), (2, 'body')], images={
                   'n00000001_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])}),
               'n00000002': dict(parts=[(1, 'head'), (2, 'tail')], images={
                   'n00000002_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])})}
    write_release(tmp_path, classes)
    write_json(tmp_path / 'release' / 'category_name.json', [
        dict(file_name='n00000001.json', object_name='goose', part_names=['Body', 'Left Wing']),
        dict(file_name='n00000002.json', object_name='newt', part_names=['head', 'tail', 'leg'])])
    summary = convert(tmp_path)
    table = PartIdTable.load(str(tmp_path / 'out' / 'part_ids.json'))
    # agreeing names (case and spacing aside) give their spelling; disagreeing ones keep the json's, with a warning
    assert [p.name for p in table.parts] == ['Left Wing', 'Body', 'head', 'tail']
    assert table.object_names == {'n00000001': 'goose', 'n00000002': 'newt'}
    assert summary['warnings']['part_name_disagreements'] == {
        'n00000002': {'json': ['head', 'tail'], 'category_name.json': ['head', 'tail', 'leg']}}
    assert len(warnings_logged) == 1 and "n00000002: json ['head', 'tail']" in warnings_logged[0]


def test_unreadable_optional_files_stop_unless_skipped(two_classes):
    write_json(two_classes / 'release' / 'category_name.json', [dict(id=1, label=3)])
    with pytest.raises(ReleaseFormatError, match=r'category_name.json.*\{"id": 1, "label": 3\}'):
        convert(two_classes)
    assert not (two_classes / 'out').exists()
    summary = convert(two_classes, use_category_names=False)
    assert PartIdTable.load(str(two_classes / 'out' / 'part_ids.json')).object_names['n00000001'] == 'n00000001'
    write_json(two_classes / 'release' / 'discarded_data.json', [dict(image_id=4)])
    with pytest.raises(ReleaseFormatError, match=r'discarded_data.json.*\{"image_id": 4\}'):
        convert(two_classes, use_category_names=False)
    assert convert(two_classes, use_category_names=False, use_discarded=False)['images'] == summary['images']


def test_part_counts_are_reported_and_recorded(tmp_path):
    # n01440764 has 4 parts in the authors' code: here it has 3; n01768244 has 1 in both
    classes = {'n01440764': dict(parts=[(1, 'head'), (2, 'body'), (3, 'fin')], images={
                   'n01440764_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])}),
               'n01768244': dict(parts=[(1, 'body')], images={'n01768244_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])}),
               'n90000000': dict(parts=[(1, 'a'), (2, 'b')], images={'n90000000_1.JPEG': (8, 8, [])})}
    write_release(tmp_path, classes)
    summary = convert(tmp_path)
    report = summary['part_counts']
    assert report['per_class'] == dict(n01440764=3, n01768244=1, n90000000=2) and report['total'] == 6
    assert report['num_classes'] == dict(segmentation=7, parts=6, parts_and_objects=9)
    assert report['authors_code_check'] == dict(n01440764=dict(release=3, authors_code=4),
                                                n01768244=dict(release=1, authors_code=1))
    saved = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert saved['part_counts'] == report
    table = json.loads((tmp_path / 'out' / 'part_ids.json').read_text())
    assert [c['num_parts'] for c in table['classes']] == [3, 1, 2] and table['num_parts'] == 6
    assert table['num_classes'] == report['num_classes']
    text = format_part_counts(summary)
    assert 'parts: 6 over 3 classes' in text and '3,308' in text and '3,310' in text
    assert 'n01440764  3' in text and 'segmentation 7' in text and 'parts per class: 1: 1 classes' in text
    assert '1 of 2 classes agree; n01440764: 3 here, 4 in the code' in text


def test_part_count_text():
    summary = dict(part_counts=dict(
        total=7, classes=3, paper=3308, authors_code=3310, num_classes=dict(segmentation=8, parts=7),
        per_class=dict(n01440764=3, n01768244=1, n90000000=3),
        authors_code_check=dict(n01440764=dict(release=3, authors_code=4), n01768244=dict(release=1, authors_code=2))))
    assert format_part_counts(summary, per_line=2) == '\n'.join([
        "parts: 7 over 3 classes (full release: the paper says 3,308, the authors' training code lists 3,310)",
        'num_classes of the heads: segmentation 8, parts 7',
        'parts per class: 1: 1 classes, 3: 2 classes',
        'per class:',
        '  n01440764  3   n01768244  1',
        '  n90000000  3',
        "spot check against the authors' code: 0 of 2 classes agree; n01440764: 3 here, 4 in the code; n01768244: 1 "
        'here, 2 in the code'])
    summary['part_counts']['per_class'] = {f'n{i:08d}': 1 for i in range(7)}
    lines = format_part_counts(summary).splitlines()
    per_class = lines[lines.index('per class:') + 1:lines.index('per class:') + 3]
    assert [line.count(' n0') for line in per_class] == [6, 1]  # six classes per line


def test_missing_images_stop_with_the_folder_and_the_layout(two_classes):
    with pytest.raises(ImagesNotFoundError, match=r'/wrong/path: no such folder.*<wnid>/<file>'):
        convert_pinpp(str(two_classes / 'release'), '/wrong/path', str(two_classes / 'out'))
    empty = two_classes / 'empty'
    empty.mkdir()
    with pytest.raises(ImagesNotFoundError) as err:
        convert_pinpp(str(two_classes / 'release'), str(empty), str(two_classes / 'out'))
    assert f'3 of the 3 images the release annotates (discarded ones not counted) are not in {empty}' in str(err.value)
    assert f'<wnid>/<file>, e.g. {empty}/n00000001/n00000001_1.JPEG' in str(err.value)
    # the train folder's parent given: the message says which folder to pass
    (two_classes / 'parent').mkdir()
    (two_classes / 'imagenet').rename(two_classes / 'parent' / 'train')
    with pytest.raises(ImagesNotFoundError, match=r'is at .*parent/train/n00000001/n00000001_1.JPEG: pass '
                                                  r'.*parent/train as the image folder'):
        convert_pinpp(str(two_classes / 'release'), str(two_classes / 'parent'), str(two_classes / 'out'))
    # a share of the images missing: stop above the threshold, convert below it
    (two_classes / 'parent' / 'train' / 'n00000001' / 'n00000001_2.JPEG').unlink()
    args = (str(two_classes / 'release'), str(two_classes / 'parent' / 'train'), str(two_classes / 'out'))
    with pytest.raises(ImagesNotFoundError, match=r'1 of the 3 images .* Raise --max-missing-ratio \(now 0.1\)'):
        convert_pinpp(*args)
    assert not (two_classes / 'out').exists()
    assert convert_pinpp(*args, max_missing_ratio=0.5)['reported']['missing_image'] == 1


def test_malformed_release_names_the_file(tmp_path):
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'body')], images={
        'n00000001_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])})})
    bad = tmp_path / 'release' / 'json' / 'n00000001.json'
    bad.write_text('{"images": [')
    with pytest.raises(ReleaseFormatError, match='n00000001.json'):
        convert(tmp_path)
    bad.write_text(json.dumps(dict(images=[], annotations=[])))
    with pytest.raises(ReleaseFormatError, match='n00000001.json.*categories'):
        convert(tmp_path)
    assert not (tmp_path / 'out' / 'part_ids.json').exists()
    with pytest.raises(ValueError, match='image_mode'):
        convert(tmp_path, image_mode='move')


# ------------------------------------------------------------------------------------------------ CLI


def run_cli(*args, capsys):
    """tools/dataset_converters/pinpp.py in this process: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = [TOOL, *map(str, args)]
    code = 0
    try:
        runpy.run_path(TOOL, run_name='__main__')
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def three_classes(two_classes):
    write_release(two_classes, {'n00000003': dict(parts=[(1, 'a'), (2, 'b')], images={
        'n00000003_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)]), (2, [rect(2, 2, 8, 8)])]),
        'n00000003_2.JPEG': (8, 8, [(2, [rect(0, 0, 8, 8)])])})})
    return two_classes


def test_cli_nproc_wnids_and_image_modes(three_classes, capsys):
    root = three_classes
    release, imagenet = root / 'release', root / 'imagenet'
    code, out, _ = run_cli(release, imagenet, root / 'one', '--with-objects', capsys=capsys)
    assert code == 0 and 'parts: 6 over 3 classes' in out and f'summary: {root / "one"}/summary.json' in out
    code, _, _ = run_cli(release, imagenet, root / 'two', '--with-objects', '--nproc', '2', capsys=capsys)
    assert code == 0 and tree_digest(root / 'two') == tree_digest(root / 'one')
    code, out, _ = run_cli(release, imagenet, root / 'some', '--wnids', 'n00000003', 'n00000001', '--image-mode',
                           'copy', capsys=capsys)
    assert code == 0 and 'parts: 4 over 2 classes' in out
    assert sorted(os.listdir(root / 'some' / 'seg')) == ['n00000001', 'n00000003']
    copied = root / 'some' / 'img' / 'n00000003' / 'n00000003_1.JPEG'
    assert not copied.is_symlink() and copied.read_bytes() == (imagenet / 'n00000003' / 'n00000003_1.JPEG').read_bytes()
    code, _, _ = run_cli(release, imagenet, root / 'hard', '--image-mode', 'hardlink', capsys=capsys)
    assert code == 0
    assert os.stat(root / 'hard' / 'img' / 'n00000003' / 'n00000003_1.JPEG').st_ino == os.stat(
        imagenet / 'n00000003' / 'n00000003_1.JPEG').st_ino


def test_cli_errors(three_classes, capsys):
    root = three_classes
    code, _, _ = run_cli(root / 'release', '/wrong/path', root / 'out', capsys=capsys)
    assert code == 'error: /wrong/path: no such folder; expected the IN-1K train images as <wnid>/<file>'
    code, _, _ = run_cli(root / 'release', root, root / 'out', capsys=capsys)
    assert code.startswith(f'error: 5 of the 5 images the release annotates (discarded ones not counted) are not in '
                           f'{root}') and f'is at {root}/imagenet/n00000001/n00000001_1.JPEG' in code
    code, _, _ = run_cli(root / 'release', root / 'imagenet', root / 'out', '--wnids', 'n00000009', capsys=capsys)
    assert code.startswith('error: ') and "no annotation file for ['n00000009']" in code
    write_json(root / 'release' / 'discarded_data.json', {'n00000001': 'n00000001_1.JPEG'})
    code, _, _ = run_cli(root / 'release', root / 'imagenet', root / 'out', capsys=capsys)
    assert code.startswith(f'error: {root}/release/discarded_data.json: expected a list of file names')
    code, out, _ = run_cli(root / 'release', root / 'imagenet', root / 'out', '--no-discarded', capsys=capsys)
    assert code == 0 and 'images train' in out
    assert not list(root.glob('wrong*')) and not (root / 'release' / 'out').exists()


# ------------------------------------------------------------------------------ paint order, reasons, fields


def test_paint_order_follows_containment_depth(tmp_path):
    """inner lies in middle, which lies in outer, but the polygons grow inwards: only the depth of the containment
    chain (listed bottom-up, with a shortcut inner:outer) orders them; equal areas without containment do not crash."""
    write_release(tmp_path, {
        'n00000001': dict(parts=[(1, 'outer'), (2, 'middle'), (3, 'inner')],
                          including=['inner:middle', 'middle:outer', 'inner:outer'], images={
                              'n00000001_1.JPEG': (12, 10, [(3, [rect(4, 0, 12, 10)]), (2, [rect(0, 0, 8, 8)]),
                                                            (1, [rect(0, 0, 6, 6)])])}),
        'n00000002': dict(parts=[(1, 'left'), (2, 'right')], images={
            'n00000002_1.JPEG': (12, 10, [(1, [rect(0, 0, 6, 6)]), (2, [rect(3, 0, 9, 6)])])})})
    convert(tmp_path, val_ratio=0.0)
    expected = np.zeros((10, 12), np.uint16)
    expected[0:8, 0:4] = 2
    expected[:, 4:] = 3
    np.testing.assert_array_equal(read_mask(tmp_path, 'n00000001', 'n00000001_1'), expected)
    tie = read_mask(tmp_path, 'n00000002', 'n00000002_1')
    assert (tie[0:6, 0:3] == 4).all() and (tie[0:6, 6:9] == 5).all() and len(np.unique(tie[0:6, 3:6])) == 1


def write_image(path, size=(8, 8), mode='RGB'):
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (size[1], size[0], 3), np.uint8)).convert(mode).save(
        path, 'JPEG')


def test_every_reason_is_counted_with_its_examples(tmp_path):
    body = [rect(0, 0, 4, 4)]
    images = {f'n00000001_{i}.JPEG': (8, 8, [(1, body)]) for i in (2, 3, 4, 5, 9)}
    images.update({'missing_7.JPEG': (8, 8, [(1, body)]), 'missing_8.JPEG': (8, 8, [(1, body)]),
                   'n00000001_6.JPEG': (8, 8, []), 'n00000001_10.JPEG': (8, 8, [(1, body)]),
                   'n00000001_1.JPEG': (8, 8, [(1, body + [[1, 1, 2, 2]]), (5, body),
                                               (2, dict(size=[8, 8], counts='0!')), (2, [rect(9, 9, 12, 12)])])})
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'body'), (2, 'leg')], images=images)},
                  discarded=['n00000001/n00000001_9.JPEG'], gray=['n00000001_2.JPEG'])
    folder = tmp_path / 'imagenet' / 'n00000001'
    write_image(folder / 'n00000001_3.JPEG', mode='CMYK')
    (folder / 'n00000001_4.JPEG').write_bytes(b'not an image')
    write_image(folder / 'n00000001_5.JPEG', size=(10, 8))
    source = tmp_path / 'release' / 'json' / 'n00000001.json'
    data = json.loads(source.read_text())
    data['images'][[i['file_name'] for i in data['images']].index('n00000001/n00000001_10.JPEG')]['file_name'] = \
        'n01440764/n00000001_10.JPEG'  # another class's folder
    data['annotations'] += [dict(id=90 + i, image_id=99, category_id=1, segmentation=body) for i in range(2)]
    source.write_text(json.dumps(data))
    summary = convert(tmp_path, val_ratio=0.0, max_missing_ratio=0.5)
    assert {k: v for k, v in summary['reported'].items() if v} == dict(
        annotation_without_image=2, missing_image=2, discarded=1, wrong_folder=1, grayscale=1, non_rgb=1,
        unreadable_image=1, size_mismatch=1, empty_mask=1, degenerate_polygon=1, unknown_category=1, bad_rle=1,
        zero_area=1)
    first = 'n00000001/n00000001_1.JPEG'
    assert summary['examples'] == {'n00000001': {
        'annotation_without_image': [f'{source}: 2 annotations'],
        'bad_rle': [f"{first}: bad_rle: character '!' in compressed counts"],
        'degenerate_polygon': [first],
        'discarded': ['n00000001/n00000001_9.JPEG'],
        'empty_mask': ['n00000001/n00000001_6.JPEG'],
        'grayscale': ['n00000001/n00000001_2.JPEG'],
        'missing_image': ['n00000001/missing_7.JPEG', 'n00000001/missing_8.JPEG'],
        'non_rgb': ['n00000001/n00000001_3.JPEG'],
        'size_mismatch': ['n00000001/n00000001_5.JPEG: json 8x8, file 10x8'],
        'unknown_category': [f'{first}: category 5'],
        'unreadable_image': ['n00000001/n00000001_4.JPEG'],
        'wrong_folder': [f'{source}: n01440764/n00000001_10.JPEG'],
        'zero_area': [first]}}
    assert read_mask(tmp_path, 'n00000001', 'n00000001_5').shape == (8, 10)  # the file's size, not the json's
    assert summary['per_class']['n00000001'] == dict(images=5, **{k: v for k, v in summary['reported'].items() if v})


def test_examples_stop_at_20_counts_do_not(tmp_path):
    images = {f'missing_{i:02d}.JPEG': (8, 8, []) for i in range(21)}
    images['n00000001_1.JPEG'] = (8, 8, [(1, [rect(0, 0, 4, 4)])])
    write_release(tmp_path, {'n00000001': dict(parts=[(1, 'body')], images=images)})
    summary = convert(tmp_path, val_ratio=0.0, max_missing_ratio=1.0)
    assert summary['reported']['missing_image'] == 21
    assert summary['examples']['n00000001']['missing_image'] == [f'n00000001/missing_{i:02d}.JPEG' for i in range(20)]


def test_coco_fields(two_classes):
    path = two_classes / 'release' / 'json' / 'n00000002.json'
    data = json.loads(path.read_text())
    data['annotations'][1]['segmentation'] = [[6.123456, 6.0, 10.0, 6.0, 10.0, 9.987654, 6.0, 9.0]]
    path.write_text(json.dumps(data))
    convert(two_classes, val_ratio=0.0, with_objects=True)
    coco = json.loads((two_classes / 'out' / 'coco' / 'pinpp_parts_train.json').read_text())
    assert coco['info'] == dict(description='PIN++ parts (train), converted by mmpart', version='2')
    assert coco['categories'] == [
        dict(id=1, name='n00000001:body', supercategory='n00000001'),
        dict(id=2, name='n00000001:window', supercategory='n00000001'),
        dict(id=3, name='n00000002:head', supercategory='n00000002'),
        dict(id=4, name='n00000002:tail', supercategory='n00000002'),
        dict(id=5, name='n00000001', supercategory='object'), dict(id=6, name='n00000002', supercategory='object')]
    anns = coco['annotations']
    assert [a['id'] for a in anns] == list(range(1, len(anns) + 1))
    images = {i['id']: i for i in coco['images']}
    for ann in anns:
        info = images[ann['image_id']]
        rle = mask_utils.merge(mask_utils.frPyObjects(ann['segmentation'], info['height'], info['width'])) \
            if isinstance(ann['segmentation'], list) else dict(ann['segmentation'], counts=ann['segmentation'][
                'counts'].encode())
        assert ann['bbox'] == [float(v) for v in mask_utils.toBbox(rle)] and ann['iscrowd'] == 0
        assert ann['area'] == float(mask_utils.area(rle))
    tail = [a for a in anns if a['category_id'] == 4][0]
    assert tail['segmentation'] == [[6.12, 6.0, 10.0, 6.0, 10.0, 9.99, 6.0, 9.0]]  # polygons rounded to 0.01 pixel


@pytest.fixture
def conversions(monkeypatch) -> list:
    """The classes the converter converts (not taken from its cache), in this process (nproc 1)."""
    converted = []
    run = pinpp_converter._ClassConverter.run
    monkeypatch.setattr(pinpp_converter._ClassConverter, 'run',
                        lambda self: converted.append(self.cls.wnid) or run(self))
    return converted


def test_cache_is_keyed_on_every_input(two_classes, conversions, monkeypatch):
    out = two_classes / 'out'
    monkeypatch.chdir(two_classes)
    convert(two_classes)
    assert conversions == ['n00000001', 'n00000002'] and (out / '.cache' / 'n00000001.json').is_file()
    assert not Path('.cache').exists()  # in the output folder, not in the working directory
    conversions.clear()
    convert(two_classes)
    assert conversions == []
    (out / 'seg' / 'n00000001' / 'n00000001_2.png').unlink()  # an output gone: that class again
    convert(two_classes)
    assert conversions == ['n00000001'] and (out / 'seg' / 'n00000001' / 'n00000001_2.png').is_file()
    conversions.clear()
    convert(two_classes, image_mode='copy')
    assert conversions == ['n00000001', 'n00000002']
    assert not (out / 'img' / 'n00000001' / 'n00000001_1.JPEG').is_symlink()
    conversions.clear()
    shutil.copytree(two_classes / 'imagenet', two_classes / 'imagenet2')

    def convert_copies(**kwargs):
        convert_pinpp(str(two_classes / 'release'), str(two_classes / 'imagenet2'), str(out), image_mode='copy',
                      **kwargs)

    convert_copies()
    assert conversions == ['n00000001', 'n00000002']
    conversions.clear()
    write_json(two_classes / 'release' / 'discarded_data.json', [dict(file_name='n00000002/n00000002_1.JPEG')])
    convert_copies(max_missing_ratio=0.5)
    assert conversions == ['n00000002']
    conversions.clear()
    monkeypatch.setattr(pinpp_converter, 'CONVERTER_VERSION', 3)
    convert_copies()
    assert conversions == ['n00000001', 'n00000002']
    conversions.clear()
    write_release(two_classes, {'n00000000': dict(parts=[(1, 'fin')], images={  # ids of the others shift by one
        'n00000000_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])})})
    shutil.copytree(two_classes / 'imagenet' / 'n00000000', two_classes / 'imagenet2' / 'n00000000')
    convert_copies()
    assert conversions == ['n00000000', 'n00000001', 'n00000002']
    assert read_mask(two_classes, 'n00000001', 'n00000001_1').max() == 3


def test_images_are_placed_by_relative_links_over_leftovers(two_classes):
    link = two_classes / 'out' / 'img' / 'n00000001' / 'n00000001_1.JPEG'
    link.parent.mkdir(parents=True)
    Path(f'{link}.tmp{os.getpid()}').write_text('left by a killed run')
    convert(two_classes)
    assert os.readlink(link) == osp.join('..', '..', '..', 'imagenet', 'n00000001', 'n00000001_1.JPEG')
    assert not Path(f'{link}.tmp{os.getpid()}').exists()


def test_release_warnings_list_ten_classes_and_say_there_are_more(tmp_path, warnings_logged):
    wnids = [f'n0000{i:04d}' for i in range(17)]
    write_release(tmp_path, {w: dict(parts=[(1, 'head')], including=['horn:head'], images={
        f'{w}_1.JPEG': (8, 8, [(1, [rect(0, 0, 4, 4)])])}) for w in wnids})
    names = tmp_path / 'release' / 'category_name.json'
    write_json(names, [dict(file_name=f'{w}.json', object_name='fish', part_names=['skull']) for w in wnids[:11]])
    summary = convert(tmp_path, val_ratio=0.0)
    unmatched = '; '.join(f'{w}: horn' for w in wnids[:10])
    disagree = '; '.join(f"{w}: json ['head'] vs ['skull']" for w in wnids[:10])
    assert warnings_logged == [
        'including/: 17 part names in 17 classes match no category of their json (case and spacing ignored), so '
        f'their containment is not used: {unmatched} ... (all in summary.json)',
        f'{names}: the part names of 11 classes disagree with their json, whose names are kept: {disagree} ... (all '
        'in summary.json)',
        f"{names}: no names for 6 classes (e.g. {wnids[11:16]}); their wnid is used as object name"]
    assert summary['warnings']['classes_without_names'] == wnids[11:]
    assert len(summary['warnings']['part_name_disagreements']) == 11
    assert convert(tmp_path, val_ratio=0.0, use_category_names=False)['warnings']['classes_without_names'] == []


def test_how_many_missing_images_stop_the_conversion(two_classes):
    args = (str(two_classes / 'release'), str(two_classes / 'imagenet'), str(two_classes / 'out'))
    (two_classes / 'imagenet' / 'n00000002' / 'n00000002_1.JPEG').unlink()
    convert_pinpp(*args, max_missing_ratio=1 / 3)  # 1 of 3 missing: at the limit, converted
    for folder in ('n00000001', 'n00000002'):
        shutil.rmtree(two_classes / 'imagenet' / folder)
    with pytest.raises(ImagesNotFoundError) as err:  # none found: whatever the ratio allows
        convert_pinpp(*args, max_missing_ratio=1.0)
    imagenet = two_classes / 'imagenet'
    assert str(err.value) == (f'3 of the 3 images the release annotates (discarded ones not counted) are not in '
                              f'{imagenet}, which should hold the IN-1K train images as <wnid>/<file>, e.g. '
                              f'{imagenet}/n00000001/n00000001_1.JPEG.')
    write_image(imagenet / 'n00000001_1.JPEG')  # found without its wnid folder
    with pytest.raises(ImagesNotFoundError, match=f' n00000001_1.JPEG is at {imagenet}/n00000001_1.JPEG, without its '
                                                  'wnid folder: put the images in <wnid>/ folders$'):
        convert_pinpp(*args)


def test_defaults_and_bad_options(two_classes):
    summary = convert(two_classes)  # no object categories, val split of 10 %
    coco = json.loads((two_classes / 'out' / 'coco' / 'pinpp_parts_train.json').read_text())
    assert [c['id'] for c in coco['categories']] == [1, 2, 3, 4]
    assert summary['classes'] == 2 and summary['parts'] == 4 and summary['per_class']['n00000002'] == dict(images=1)
    text = (two_classes / 'out' / 'summary.json').read_text()
    assert json.loads(text) == summary and text.startswith('{\n "classes": 2,\n "parts": 4,')  # for reading
    with pytest.raises(ValueError) as err:
        convert(two_classes, val_ratio=1.0)
    assert str(err.value) == 'val_ratio must be in [0, 1), got 1.0'


def test_processes_only_for_several_classes(two_classes, monkeypatch):
    pools = []
    parallel = pinpp_converter.track_parallel_progress
    monkeypatch.setattr(pinpp_converter, 'track_parallel_progress',
                        lambda func, tasks, nproc: pools.append((len(tasks), nproc)) or parallel(func, tasks, nproc))
    convert(two_classes, nproc=2, wnids=['n00000001'])
    assert pools == []
    convert(two_classes)
    assert pools == []
    convert(two_classes, nproc=2)
    assert pools == [(2, 2), (2, 2)]  # the scan and the conversion


def test_paint_order_depths_reach_a_fixed_point_whatever_the_order_of_the_including_lines():
    parts = [(1, 'outer'), (2, 'middle'), (3, 'inner'), (4, 'apart')]
    # the innermost pair first: one pass over the lines gives inner the depth middle had before it was raised
    cls = ReleaseClass(wnid='n00000001', parts=parts, images=[], including=[('inner', 'middle'), ('middle', 'outer')],
                       unmatched_including=[], orphan_annotations=0, source_file='n00000001.json')
    assert pinpp_converter._paint_order(cls) == {1: 0, 2: 1, 3: 2, 4: 0}


@pytest.mark.parametrize('count', [10, 11])
def test_release_warnings_say_there_are_more_only_beyond_ten(count, warnings_logged):
    wnids = [f'n0000{i:04d}' for i in range(count)]
    scans = [dict(wnid=w, unmatched_including=['horn', 'tail'][:1 + (w == wnids[0])]) for w in wnids]
    disagreements = {w: {'json': ['head'], 'category_name.json': ['skull']} for w in wnids}
    release = type('Release', (), dict(category_name_file='names.json'))()
    pinpp_converter._release_warnings(scans, disagreements, {w: None for w in wnids}, release)
    more = ' ...' if count > 10 else ''
    unmatched = '; '.join(f'{w}: horn' + (', tail' if w == wnids[0] else '') for w in wnids[:10])
    disagree = '; '.join(f"{w}: json ['head'] vs ['skull']" for w in wnids[:10])
    assert warnings_logged == [
        f'including/: {count + 1} part names in {count} classes match no category of their json (case and spacing '
        f'ignored), so their containment is not used: {unmatched}{more} (all in summary.json)',
        f'names.json: the part names of {count} classes disagree with their json, whose names are kept: '
        f'{disagree}{more} (all in summary.json)']
