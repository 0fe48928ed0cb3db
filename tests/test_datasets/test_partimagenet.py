"""PartImageNet datasets built from config dicts, run through the real mmseg/mmdet pipelines."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from PIL import Image

import mmpart.datasets.partimagenet as partimagenet
from mmpart.datasets import (
    PARTIMAGENET_PART_TO_SUPERCATEGORY,
    PARTIMAGENET_PARTS,
    PARTIMAGENET_PARTS_PALETTE,
    PARTIMAGENET_SEG_PALETTE,
    PARTIMAGENET_SUPERCATEGORIES,
    PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES,
    partimagenet_parts_of,
    partimagenet_supercategory_of,
)
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

# The datasets build their pipelines in the mmseg / mmdet scope: upstream transforms need no `_scope_`.
SEG_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
DET_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                dict(type='PackDetInputs')]


@pytest.fixture(autouse=True)
def mmpart_scope():
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmpart'):
        yield


@pytest.fixture
def warnings_logged(monkeypatch) -> list:
    """Messages the datasets pass to ``print_log``."""
    messages = []
    monkeypatch.setattr(partimagenet, 'print_log', lambda msg, **kwargs: messages.append(msg))
    return messages


def save_jpeg(path: Path, gray: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(path.name))
    shape = (32, 32) if gray else (32, 32, 3)
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path, 'JPEG')


def save_png(path: Path, label: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(label.astype(np.uint8)).save(path)


def square(x: float, y: float, size: float) -> list:
    return [x, y, x + size, y, x + size, y + size, x, y + size]


# ----------------------------------------------------------------------------------------------- metadata


def test_metadata_constants():
    assert len(PARTIMAGENET_PARTS) == len(set(PARTIMAGENET_PARTS)) == 40
    assert PARTIMAGENET_PARTS[0] == 'Quadruped Head' and PARTIMAGENET_PARTS[39] == 'Bottle Body'
    assert PARTIMAGENET_PARTS[25] == 'Car Tier' and PARTIMAGENET_PARTS[35] == 'Aeroplane Engine'
    assert sum(PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES.values()) == 158
    assert tuple(PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES) == PARTIMAGENET_SUPERCATEGORIES
    # Each part name starts with its super-category's name.
    for name, sup in zip(PARTIMAGENET_PARTS, PARTIMAGENET_PART_TO_SUPERCATEGORY):
        assert name.startswith(PARTIMAGENET_SUPERCATEGORIES[sup] + ' ')
    assert len(set(PARTIMAGENET_PARTS_PALETTE)) == 40 and len(PARTIMAGENET_SEG_PALETTE) == 41


def test_parts_of_supercategory():
    assert partimagenet_parts_of('Quadruped') == (0, 1, 2, 3)
    assert partimagenet_parts_of('Aeroplane') == partimagenet_parts_of(9) == (33, 34, 35, 36, 37)
    assert partimagenet_parts_of('Bottle') == (38, 39)
    assert sum(len(partimagenet_parts_of(s)) for s in PARTIMAGENET_SUPERCATEGORIES) == 40
    assert partimagenet_supercategory_of(26) == 'Car'
    with pytest.raises(ValueError, match='Dog'):
        partimagenet_parts_of('Dog')
    with pytest.raises(ValueError):
        partimagenet_parts_of(11)


# ---------------------------------------------------------------------------------------- Seg release


@pytest.fixture
def seg_root(tmp_path: Path) -> Path:
    """Seg release with a grayscale JPEG, an unannotated image and macOS zip junk."""
    root = tmp_path / 'PartImageNet'
    img_dir, ann_dir = root / 'images' / 'train', root / 'annotations' / 'train'
    label = np.full((32, 32), 40)
    label[:16, :16] = 0
    label[16:, 16:] = 5
    save_jpeg(img_dir / 'n01440764_1.JPEG')
    save_png(ann_dir / 'n01440764_1.png', label)
    label_gray = np.full((32, 32), 40)
    label_gray[8:24, 8:24] = 39
    save_jpeg(img_dir / 'n01440764_2.JPEG', gray=True)
    save_png(ann_dir / 'n01440764_2.png', label_gray)
    save_jpeg(img_dir / 'n01440764_3.JPEG')  # no annotation
    # Junk with matching annotations, so that only the junk filter can drop it.
    save_jpeg(img_dir / '__MACOSX' / 'n01440764_9.JPEG')
    save_png(ann_dir / '__MACOSX' / 'n01440764_9.png', label)
    (img_dir / '._n01440764_1.JPEG').write_bytes(b'\x00\x05\x16\x07AppleDouble')
    (ann_dir / '._n01440764_1.png').write_bytes(b'\x00\x05\x16\x07AppleDouble')
    return root


def build_seg(root: Path, **kwargs):
    return DATASETS.build(dict(
        type='PartImageNetSegDataset', data_root=str(root),
        data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'),
        pipeline=SEG_PIPELINE, **kwargs))


def gt_values(sample: dict) -> set:
    return set(sample['data_samples'].gt_sem_seg.data.unique().tolist())


def test_seg_default_has_background_class(seg_root):
    dataset = build_seg(seg_root)
    assert type(dataset).__name__ == 'PartImageNetSegDataset'
    assert dataset.metainfo['classes'] == PARTIMAGENET_PARTS + ('Background',)
    assert len(dataset.metainfo['palette']) == 41 and dataset.label_map is None
    assert gt_values(dataset[0]) == {0, 5, 40}
    assert gt_values(dataset[1]) == {39, 40}


def test_seg_parts_only_maps_background_to_ignore(seg_root):
    dataset = build_seg(seg_root, parts_only=True)
    assert dataset.metainfo['classes'] == PARTIMAGENET_PARTS
    assert dataset.metainfo['palette'] == list(PARTIMAGENET_PARTS_PALETTE)
    assert dataset.label_map == {**{i: i for i in range(40)}, 40: 255}
    seg = dataset[0]['data_samples'].gt_sem_seg.data[0]
    assert gt_values(dataset[0]) == {0, 5, 255}
    assert (seg[:16, :16] == 0).all() and (seg[16:, 16:] == 5).all() and (seg[:16, 16:] == 255).all()
    assert gt_values(dataset[1]) == {39, 255}


def test_seg_skips_macos_junk_and_unannotated_images(seg_root, warnings_logged):
    dataset = build_seg(seg_root, test_mode=True)
    names = [Path(dataset.get_data_info(i)['img_path']).name for i in range(len(dataset))]
    assert names == ['n01440764_1.JPEG', 'n01440764_2.JPEG']
    assert len(warnings_logged) == 1 and '1 of 3 images' in warnings_logged[0]


def test_seg_without_any_annotation_is_a_clear_error(seg_root):
    with pytest.raises(FileNotFoundError, match=r'none of the 3 images in .*images/train has an annotation'):
        DATASETS.build(dict(type='PartImageNetSegDataset', data_root=str(seg_root),
                            data_prefix=dict(img_path='images/train', seg_map_path='annotations/val')))


def test_seg_grayscale_jpeg_is_loaded_as_colour(seg_root):
    assert Image.open(seg_root / 'images' / 'train' / 'n01440764_2.JPEG').mode == 'L'
    inputs = build_seg(seg_root)[1]['inputs']
    assert inputs.shape == (3, 32, 32)
    assert torch.equal(inputs[0], inputs[1]) and torch.equal(inputs[1], inputs[2])


# --------------------------------------------------------------------------------------- COCO json


def coco_json(images: list, annotations: list, ann_id_start: int = 1) -> dict:
    categories = [dict(id=i, name=name, supercategory=PARTIMAGENET_SUPERCATEGORIES[sup])
                  for i, (name, sup) in enumerate(zip(PARTIMAGENET_PARTS, PARTIMAGENET_PART_TO_SUPERCATEGORY))]
    return dict(images=[dict(id=i, file_name=name, width=32, height=32) for i, name in enumerate(images)],
                annotations=[dict(id=i + ann_id_start, image_id=img, category_id=cat, segmentation=segm, bbox=bbox,
                                  area=area, iscrowd=0)
                             for i, (img, cat, segm, bbox, area) in enumerate(annotations)],
                categories=categories)


DEFECT_IMAGES = ['n01440764_1.JPEG', 'n01443537_2.JPEG', 'n01484850_3.JPEG', 'n01491361_4.JPEG']
DEFECT_ANNOTATIONS = [  # (image id, category id, segmentation, bbox, area)
    (0, 0, [square(2, 2, 10)], [2, 2, 10, 10], 100),
    (0, 39, [[20, 20, 24, 20], square(16, 16, 14)], [16, 16, 14, 14], 196),  # one 2-point polygon
    (0, 5, [[1, 1, 3, 3]], [1, 1, 2, 2], 4),  # only a 2-point polygon
    (0, 7, [square(4, 20, 8)], [4, 20, 8, 8], 0),  # area 0
    (1, 12, [square(4, 4, 20)], [4, 4, 20, 20], 400),  # grayscale image
    (2, 1, [square(4, 4, 20)], [4, 4, 20, 20], 400),  # image file missing
    (3, 1, [[5, 5, 6, 6]], [5, 5, 1, 1], 1),  # image left without annotations
]


def write_coco(root: Path, images: list, annotations: list, ood: bool, ann_id_start: int = 1) -> Path:
    """Write the json and every image but the missing one, in the Seg (flat) or OOD (per wnid) layout."""
    for name in images:
        if name != 'n01484850_3.JPEG':
            path = root / 'train' / name.split('_')[0] / name if ood else root / 'images' / 'train' / name
            save_jpeg(path, gray=name == 'n01443537_2.JPEG')
    ann_file = root / ('train.json' if ood else 'annotations/train.json')
    ann_file.parent.mkdir(parents=True, exist_ok=True)
    ann_file.write_text(json.dumps(coco_json(images, annotations, ann_id_start)))
    return ann_file


def build_coco(root: Path, ood: bool, **kwargs):
    return DATASETS.build(dict(
        type='PartImageNetCocoDataset', data_root=str(root),
        ann_file='train.json' if ood else 'annotations/train.json',
        data_prefix=dict(img='train/' if ood else 'images/train/'), pipeline=DET_PIPELINE, **kwargs))


@pytest.fixture
def coco_root(tmp_path: Path) -> Path:
    write_coco(tmp_path, DEFECT_IMAGES, DEFECT_ANNOTATIONS, ood=False)
    return tmp_path


def test_coco_category_zero_is_label_zero(coco_root):
    dataset = build_coco(coco_root, ood=False, test_mode=True)
    assert type(dataset).__name__ == 'PartImageNetCocoDataset'
    assert dataset.metainfo['classes'] == PARTIMAGENET_PARTS
    assert dataset.cat_ids == list(range(40)) and dataset.cat2label == {i: i for i in range(40)}
    packed = dataset[0]
    assert packed['data_samples'].img_id == 0
    gt = packed['data_samples'].gt_instances
    assert gt.labels.tolist() == [0, 39]
    assert gt.masks.masks.shape == (2, 32, 32)
    assert gt.masks.masks[0, 3:12, 3:12].all() and gt.masks.masks[0].sum() < 150


def test_coco_defects_are_dropped(coco_root, warnings_logged):
    dataset = build_coco(coco_root, ood=False, test_mode=True)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [Path(info['img_path']).name for info in infos] == [n for n in DEFECT_IMAGES if '_3' not in n]
    assert len(warnings_logged) == 1
    assert '1 of 4 images' in warnings_logged[0] and 'annotations/train.json' in warnings_logged[0]
    first = infos[0]['instances']
    assert [inst['bbox_label'] for inst in first] == [0, 39]  # 2-point-only and area-0 annotations dropped
    assert first[1]['mask'] == [square(16, 16, 14)]
    assert infos[2]['instances'] == []


def test_coco_filter_empty_gt_drops_images_emptied_by_cleaning(coco_root):
    dataset = build_coco(coco_root, ood=False, filter_cfg=dict(filter_empty_gt=True))
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == [0, 1]
    assert dataset[0]['data_samples'].gt_instances.labels.tolist() == [0, 39]


def test_coco_grayscale_jpeg_is_loaded_as_colour(coco_root):
    packed = build_coco(coco_root, ood=False, test_mode=True)[1]
    assert packed['inputs'].shape == (3, 32, 32)
    assert packed['data_samples'].gt_instances.labels.tolist() == [12]


@pytest.mark.parametrize('ood, image_layout, folder', [
    (True, 'auto', 'train/n01440764'), (True, 'wnid', 'train/n01440764'),
    (False, 'auto', 'images/train'), (False, 'flat', 'images/train')])
def test_coco_image_layouts(tmp_path, ood, image_layout, folder):
    write_coco(tmp_path, DEFECT_IMAGES, DEFECT_ANNOTATIONS, ood=ood)
    dataset = build_coco(tmp_path, ood=ood, image_layout=image_layout, test_mode=True)
    assert len(dataset) == 3
    assert dataset.get_data_info(0)['img_path'] == str(tmp_path / folder / 'n01440764_1.JPEG')
    assert dataset[0]['data_samples'].gt_instances.labels.tolist() == [0, 39]


def test_coco_wrong_image_layout_is_a_clear_error(tmp_path):
    write_coco(tmp_path, DEFECT_IMAGES, DEFECT_ANNOTATIONS, ood=True)
    with pytest.raises(FileNotFoundError, match=r"none of the 4 images listed in .*train.json.*'flat'"):
        build_coco(tmp_path, ood=True, image_layout='flat')
    with pytest.raises(ValueError, match='image_layout'):
        build_coco(tmp_path, ood=True, image_layout='folders')


def test_coco_annotation_id_zero_is_warned_about(tmp_path, warnings_logged):
    images = ['n01440764_1.JPEG']
    write_coco(tmp_path, images, [(0, 0, [square(2, 2, 10)], [2, 2, 10, 10], 100)], ood=False, ann_id_start=0)
    dataset = build_coco(tmp_path, ood=False, test_mode=True)
    assert dataset.get_data_info(0)['instances'][0]['bbox_label'] == 0
    assert len(warnings_logged) == 1 and 'annotation with id 0' in warnings_logged[0]


def test_coco_metric_perfect_predictions(tmp_path):
    from mmdet.evaluation import CocoMetric

    images = ['n01440764_1.JPEG', 'n01443537_2.JPEG']
    annotations = [(0, 0, [square(2, 2, 10)], [2, 2, 10, 10], 100),
                   (0, 39, [square(16, 16, 14)], [16, 16, 14, 14], 196),
                   (1, 0, [square(4, 4, 20)], [4, 4, 20, 20], 400)]
    ann_file = write_coco(tmp_path, images, annotations, ood=False)
    dataset = build_coco(tmp_path, ood=False, test_mode=True)
    metric = CocoMetric(ann_file=str(ann_file), metric=['bbox', 'segm'])
    metric.dataset_meta = dataset.metainfo
    for packed in dataset:
        sample, gt = packed['data_samples'], packed['data_samples'].gt_instances
        pred = dict(bboxes=gt.bboxes.tensor, labels=gt.labels, scores=torch.ones(len(gt.labels)),
                    masks=torch.from_numpy(gt.masks.to_ndarray()).bool())
        metric.process({}, [dict(img_id=sample.img_id, ori_shape=sample.ori_shape, pred_instances=pred)])
    results = metric.evaluate(size=len(dataset))
    assert results['coco/bbox_mAP'] == pytest.approx(1.0)
    assert results['coco/segm_mAP'] == pytest.approx(1.0)


def test_pipelines_are_built_in_the_upstream_scope(seg_root, coco_root):
    """An unscoped dataset dict finds the mmpart dataset, and its pipeline resolves mmseg's/mmdet's
    transforms (mmseg's LoadAnnotations, not mmcv's); a dataset-level `_scope_='mmseg'` cannot find it."""
    from mmseg.datasets.transforms import LoadAnnotations

    seg = dict(type='PartImageNetSegDataset', data_root=str(seg_root),
               data_prefix=dict(img_path='images/train', seg_map_path='annotations/train'), pipeline=SEG_PIPELINE)
    dataset = DATASETS.build(seg)
    assert type(dataset.pipeline.transforms[1]) is LoadAnnotations
    assert gt_values(dataset[0]) == {0, 5, 40}
    with pytest.raises(KeyError, match='not in the mmseg::dataset registry'):
        DATASETS.build(dict(seg, _scope_='mmseg'))
    det = DATASETS.build(dict(
        type='PartImageNetCocoDataset', data_root=str(coco_root), ann_file='annotations/train.json',
        data_prefix=dict(img='images/train/'), test_mode=True, pipeline=DET_PIPELINE))
    assert det[0]['data_samples'].gt_instances.labels.tolist() == [0, 39]


# ---------------------------------------------------------------------------------- cleaned COCO json


def feed_ground_truth_back(dataset, ann_file: str) -> dict:
    """CocoMetric on ``ann_file`` with every ground-truth instance the dataset loads given back as a prediction."""
    from mmdet.evaluation import CocoMetric

    metric = CocoMetric(ann_file=ann_file, metric=['bbox', 'segm'])
    metric.dataset_meta = dataset.metainfo
    for packed in dataset:
        sample, gt = packed['data_samples'], packed['data_samples'].gt_instances
        pred = dict(bboxes=gt.bboxes.tensor, labels=gt.labels, scores=torch.ones(len(gt.labels)),
                    masks=torch.from_numpy(gt.masks.to_ndarray()).bool())
        metric.process({}, [dict(img_id=sample.img_id, ori_shape=sample.ori_shape, pred_instances=pred)])
    return metric.evaluate(size=len(dataset))


@pytest.mark.parametrize('ood', [False, True], ids=['seg release', 'ood release'])
def test_cleaned_json_scores_ground_truth_perfectly(tmp_path, ood):
    """Every known defect at once; the converter's cleaned json, read back by the dataset and the metric, scores
    the ground truth as predictions at bbox and segm mAP 1.0."""
    from mmpart.datasets.converters.partimagenet_cleaner import clean_partimagenet

    images = DEFECT_IMAGES + ['._n01440764_1.JPEG']
    annotations = DEFECT_ANNOTATIONS + [
        (0, 3, [square(4, 4, 20)], [4, 4, 0.5, 20], 400),  # a box mmdet's loader skips (under 1 pixel wide)
        (4, 0, [square(2, 2, 10)], [2, 2, 10, 10], 100)]  # on a macOS AppleDouble entry
    ann_file = write_coco(tmp_path, images, annotations, ood=ood, ann_id_start=0)  # annotation ids from 0
    (tmp_path / '__MACOSX' / 'annotations').mkdir(parents=True)
    (tmp_path / '__MACOSX' / 'annotations' / '._train.json').write_bytes(b'\x00\x05\x16\x07AppleDouble')
    summaries = clean_partimagenet(str(tmp_path))
    assert list(summaries) == [str(ann_file.parent)]
    summary = summaries[str(ann_file.parent)]['train']
    assert {k: v for k, v in summary['reported'].items() if v} == dict(
        macos_junk=1, missing_image=1, degenerate_polygon=1, annotation_without_polygon=2, zero_area=1, small_box=1,
        grayscale=1)
    assert summary['images'] == dict(original=5, kept=3) and summary['annotations'] == dict(original=9, kept=3)
    cleaned_file = ann_file.parent / 'train_cleaned.json'
    assert json.loads((ann_file.parent / 'cleaned_summary.json').read_text())['train']['cleaned'] == str(cleaned_file)
    cleaned = json.loads(cleaned_file.read_text())
    assert [a['id'] for a in cleaned['annotations']] == [1, 2, 3]
    assert cleaned['annotations'][1]['segmentation'] == [square(16, 16, 14)]
    assert [i['file_name'] for i in cleaned['images']] == ['n01440764_1.JPEG', 'n01443537_2.JPEG', 'n01491361_4.JPEG']

    dataset = DATASETS.build(dict(
        type='PartImageNetCocoDataset', data_root=str(tmp_path), ann_file=str(cleaned_file),
        data_prefix=dict(img='train/' if ood else 'images/train/'), pipeline=DET_PIPELINE, test_mode=True))
    results = feed_ground_truth_back(dataset, str(cleaned_file))
    assert results['coco/bbox_mAP'] == pytest.approx(1.0) and results['coco/segm_mAP'] == pytest.approx(1.0)


def test_cleaner_cli_and_errors(tmp_path, capsys):
    import runpy
    import sys

    tool = str(Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters' / 'partimagenet.py')
    write_coco(tmp_path, DEFECT_IMAGES, DEFECT_ANNOTATIONS, ood=False)
    for split in ('val', 'test'):
        (tmp_path / 'annotations' / f'{split}.json').write_text(json.dumps(coco_json([], [])))
    argv = sys.argv
    try:
        sys.argv = [tool, str(tmp_path)]
        runpy.run_path(tool, run_name='__main__')
        rows = {line[:28].strip(): line[28:].split() for line in capsys.readouterr().out.splitlines()}
        assert rows['images kept / original'] == ['3/4', '0/0', '0/0']
        assert rows['annotations kept / original'] == ['3/7', '0/0', '0/0']
        assert rows['missing_image'] == ['1', '0', '0'] and rows['zero_area'] == ['1', '0', '0']
        assert sorted(p.name for p in (tmp_path / 'annotations').glob('*_cleaned.json')) == [
            'test_cleaned.json', 'train_cleaned.json', 'val_cleaned.json']
        sys.argv = [tool, str(tmp_path / 'nothing')]
        with pytest.raises(SystemExit, match=r'error: .*nothing: no PartImageNet COCO json found'):
            runpy.run_path(tool, run_name='__main__')
        (tmp_path / 'annotations' / 'val.json').write_text('{"images": [')
        sys.argv = [tool, str(tmp_path), '--splits', 'val']
        with pytest.raises(SystemExit, match=r'error: .*annotations/val.json: not valid JSON'):
            runpy.run_path(tool, run_name='__main__')
    finally:
        sys.argv = argv


def test_clean_coco_reports_each_defect_with_its_example_at_the_boundaries(tmp_path):
    """Each reason once, with the entry it names; boxes and areas just inside and just outside the limits."""
    from mmpart.datasets.converters.partimagenet_cleaner import clean_coco

    image_dir = tmp_path / 'images' / 'train'
    save_jpeg(image_dir / 'n01440764_1.JPEG')
    save_jpeg(image_dir / 'n01443537_3.JPEG', gray=True)
    names = ['._n01440764_9.JPEG', 'n01440764_1.JPEG', 'n01440764_2.JPEG', 'n01443537_3.JPEG']  # junk first
    images = [dict(id=i, file_name=name, width=32, height=32) for i, name in enumerate(names)]
    body = [square(0, 0, 4)]

    def ann(ann_id, image_id=1, category_id=0, segmentation=body, **fields):
        return dict(id=ann_id, image_id=image_id, category_id=category_id, segmentation=segmentation, **fields)

    annotations = [
        ann(10, category_id=5, area=16),  # unknown category
        ann(11, image_id=42, area=16),  # no such image
        ann(12, image_id=2, area=16), ann(13, image_id=0, area=16),  # on dropped images: not reported again
        ann(14),  # no area
        ann(15, segmentation=[square(2, 2, 1), [5, 5, 6, 6]], area=0.5),  # 1 pixel, no bbox; a 2-point polygon
        ann(16, segmentation=[square(40, 40, 5)], area=25),  # outside the image: empty mask
        ann(17, area=16, bbox=[0, 0, 1, 1]),  # the smallest box mmdet keeps
        ann(18, area=16, bbox=[0, 0, 4, 0.9]),  # under a pixel high
        ann(19, area=16, bbox=[32, 0, 2, 2]), ann(20, area=16, bbox=[0, 32, 2, 2]),  # right of / below the image
        ann(21, area=16, bbox=[31, 31, 2, 2]),  # one pixel inside the corner
        ann(22, segmentation=[[1, 1, 3, 3]], area=4)]  # no polygon left
    data = dict(images=images, annotations=annotations, categories=[dict(id=0, name='a'), dict(id=1, name='b')])
    cleaned, summary = clean_coco(data, str(image_dir), 'train.json')
    kept = cleaned['annotations']
    assert [(a['id'], a['bbox']) for a in kept] == [(1, [2.0, 2.0, 1.0, 1.0]), (2, [0, 0, 1, 1]), (3, [31, 31, 2, 2])]
    assert kept[0]['segmentation'] == [square(2, 2, 1)]
    assert [i['file_name'] for i in cleaned['images']] == ['n01440764_1.JPEG', 'n01443537_3.JPEG']
    assert summary['images'] == dict(original=4, kept=2) and summary['annotations'] == dict(original=13, kept=3)
    assert {k: v for k, v in summary['reported'].items() if v} == dict(
        macos_junk=1, missing_image=1, grayscale=1, unknown_category=1, annotation_without_image=1, zero_area=1,
        degenerate_polygon=1, empty_mask=1, small_box=1, box_outside_image=2, annotation_without_polygon=1)
    where = 'n01440764_1.JPEG: annotation'
    assert summary['examples'] == {
        'annotation_without_image': ['annotation 11: image 42'],
        'annotation_without_polygon': [f'{where} 22: annotation_without_polygon'],
        'box_outside_image': [f'{where} 19: bbox [32, 0, 2, 2]', f'{where} 20: bbox [0, 32, 2, 2]'],
        'degenerate_polygon': [f'{where} 15'],
        'empty_mask': [f'{where} 16'],
        'grayscale': ['n01443537_3.JPEG'],
        'macos_junk': ['._n01440764_9.JPEG'],
        'missing_image': ['n01440764_2.JPEG'],
        'small_box': [f'{where} 18: bbox [0, 0, 4, 0.9]'],
        'unknown_category': [f'{where} 10: category 5'],
        'zero_area': [f'{where} 14']}
    # a reason met often keeps its count and its first 20 examples
    many = dict(data, images=images[1:2], annotations=[ann(i, category_id=7, area=16) for i in range(25)])
    summary = clean_coco(many, str(image_dir), 'train.json')[1]
    assert summary['reported']['unknown_category'] == 25
    assert summary['examples']['unknown_category'] == [f'{where} {i}: category 7' for i in range(20)]
    with pytest.raises(ValueError, match='train.json: missing COCO list "categories"'):
        clean_coco(dict(images=[], annotations=[]), str(image_dir), 'train.json')


def test_clean_partimagenet_cleans_the_splits_asked_for(tmp_path):
    from mmpart.datasets.converters.partimagenet_cleaner import clean_partimagenet

    write_coco(tmp_path, DEFECT_IMAGES, DEFECT_ANNOTATIONS, ood=False)
    val = tmp_path / 'annotations' / 'val.json'
    val.write_text(json.dumps(dict(images=[], annotations=[])))  # no categories
    folder = str(tmp_path / 'annotations')
    summaries = clean_partimagenet(str(tmp_path), splits=('train', ))
    assert list(summaries[folder]) == ['train']
    assert summaries[folder]['train']['source'] == str(tmp_path / 'annotations' / 'train.json')
    assert not (tmp_path / 'annotations' / 'val_cleaned.json').exists()
    text = (tmp_path / 'annotations' / 'cleaned_summary.json').read_text()
    assert json.loads(text) == summaries[folder] and text.startswith('{\n "train": {\n  "source": ')  # for reading
    with pytest.raises(ValueError, match=f'{val}: missing COCO list "categories"'):
        clean_partimagenet(str(tmp_path), splits=('val', ))


# ------------------------------------------------------------------------------------- whole objects


def test_object_masks_159_classes_background_last(seg_root):
    whole = np.full((32, 32), 158)
    whole[:16] = 0
    whole[20:, 20:] = 157
    save_png(seg_root / 'annotations' / 'train_whole' / 'n01440764_1.png', whole)
    save_png(seg_root / 'annotations' / 'train_whole' / '__MACOSX' / 'n01440764_9.png', whole)
    prefix = dict(img_path='images/train', seg_map_path='annotations/train_whole')
    dataset = DATASETS.build(dict(type='PartImageNetObjectSegDataset', data_root=str(seg_root), data_prefix=prefix,
                                  pipeline=SEG_PIPELINE))
    classes = dataset.metainfo['classes']
    assert len(classes) == 159 and classes[0] == 'object 0' and classes[157] == 'object 157'
    assert classes[158] == 'Background' and len(dataset.metainfo['palette']) == 159
    assert len(dataset) == 1 and gt_values(dataset[0]) == {0, 157, 158}  # images without a whole mask skipped
    only = DATASETS.build(dict(type='PartImageNetObjectSegDataset', data_root=str(seg_root), data_prefix=prefix,
                               pipeline=SEG_PIPELINE, objects_only=True))
    assert len(only.metainfo['classes']) == 158 and gt_values(only[0]) == {0, 157, 255}
