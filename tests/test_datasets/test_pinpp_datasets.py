"""PIN++ datasets built from config over the converter's output."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules


@pytest.fixture
def converted(two_classes):
    register_all_modules()
    root = two_classes
    convert_pinpp(str(root / 'release'), str(root / 'imagenet'), str(root / 'out'), val_ratio=0.5)
    # an unlabeled image (no mask) and a pseudo-labelled one, as pseudo-labelling would add them
    (root / 'out' / 'img' / 'n00000002' / 'n00000002_9.JPEG').symlink_to(
        root / 'imagenet' / 'n00000002' / 'n00000002_1.JPEG')
    (root / 'out' / 'whether_pseudo' / 'n00000001.txt').write_text(
        'n00000001/n00000001_1.JPEG 0\nn00000001/n00000001_2.JPEG 1\n')
    with DefaultScope.overwrite_default_scope('mmpart'):
        yield root / 'out'


def test_pinpp_classification_dataset(converted):
    dataset = DATASETS.build(dict(type='PINPPDataset', data_root=str(converted)))
    infos = {info['img_path'].split('/')[-1]: info for info in dataset.load_data_list()}
    assert dataset.metainfo['classes'] == ('n00000001', 'n00000002')
    assert dataset.metainfo['part_classes'][1:3] == ('n00000001:body', 'n00000001:window')
    assert len(dataset) == 4
    assert infos['n00000001_2.JPEG']['seg_map_path'].endswith('seg/n00000001/n00000001_2.png')
    assert infos['n00000001_2.JPEG']['is_pseudo'] is True
    assert infos['n00000001_1.JPEG']['is_pseudo'] is False
    assert infos['n00000002_9.JPEG']['seg_map_path'] is None  # images with no mask are allowed
    assert [infos[k]['gt_label'] for k in sorted(infos)] == [0, 0, 1, 1]


def test_pinpp_classification_pipeline_packs_mask(converted):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPartMask'), dict(type='PackPartInputs')]
    dataset = DATASETS.build(dict(type='PINPPDataset', data_root=str(converted), pipeline=pipeline))
    by_name = {dataset.get_data_info(i)['img_path'].split('/')[-1]: i for i in range(len(dataset))}
    sample = dataset[by_name['n00000001_1.JPEG']]['data_samples']
    mask = sample.gt_sem_seg.data
    assert mask.shape == (1, 10, 12) and int(mask[0, 3, 4]) == 2 and int(mask[0, 1, 1]) == 1
    assert sample.gt_label.tolist() == [0]
    empty = dataset[by_name['n00000002_9.JPEG']]['data_samples']
    assert not empty.has_part_mask and int(empty.gt_sem_seg.data.sum()) == 0


def test_bad_pseudo_file_names_the_file(converted):
    (converted / 'whether_pseudo' / 'n00000002.txt').write_text('n00000002/n00000002_1.JPEG yes\n')
    with pytest.raises(ValueError, match=r'n00000002.txt:1'):
        DATASETS.build(dict(type='PINPPDataset', data_root=str(converted)))


def test_pinpp_seg_dataset_keeps_uint16_ids(converted):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPartMask', _scope_='mmpart'),
                dict(type='PackSegInputs')]
    dataset = DATASETS.build(dict(type='PINPPSegDataset', data_root=str(converted),
                                  ann_file='splits/train.txt', pipeline=pipeline))
    assert len(dataset) == 2 and dataset.ignore_index == 65535
    assert dataset.metainfo['classes'][0] == 'background' and len(dataset.metainfo['classes']) == 5
    seg = dataset[0]['data_samples'].gt_sem_seg.data
    assert sorted(np.unique(seg.numpy()).tolist()) == [0, 1, 2]


def test_pinpp_coco_dataset(converted):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_mask=True),
                dict(type='PackDetInputs')]
    dataset = DATASETS.build(dict(type='PINPPCocoDataset', data_root=str(converted),
                                  ann_file='coco/pinpp_parts_train.json', pipeline=pipeline))
    assert dataset.metainfo['classes'] == ('n00000001:body', 'n00000001:window', 'n00000002:head',
                                           'n00000002:tail')
    assert len(dataset.metainfo['palette']) == 4
    labels = sorted(int(label) for i in range(len(dataset))
                    for label in dataset[i]['data_samples'].gt_instances.labels)
    assert labels == [0, 1, 2, 3]  # global part id - 1


def test_missing_part_table_is_a_clear_error(tmp_path):
    register_all_modules()
    with pytest.raises(FileNotFoundError, match='part_ids.json'):
        DATASETS.build(dict(type='PINPPSegDataset', data_root=str(tmp_path)))


def test_gt_and_pseudo_mask_roots_gt_first(converted):
    pseudo = converted.parent / 'pseudo'
    for wnid, stem in (('n00000002', 'n00000002_9'), ('n00000001', 'n00000001_1')):
        (pseudo / 'seg' / wnid).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((10, 12), 3, np.uint16)).save(pseudo / 'seg' / wnid / f'{stem}.png')
        (pseudo / 'whether_pseudo').mkdir(exist_ok=True)
        with open(pseudo / 'whether_pseudo' / f'{wnid}.txt', 'a') as f:
            f.write(f'{wnid}/{stem}.JPEG 1\n')
    dataset = DATASETS.build(dict(type='PINPPDataset', data_root=str(converted), extra_mask_roots=['../pseudo']))
    infos = {info['img_path'].split('/')[-1]: info for info in dataset.load_data_list()}
    assert infos['n00000002_9.JPEG']['seg_map_path'].endswith('pseudo/seg/n00000002/n00000002_9.png')
    assert infos['n00000002_9.JPEG']['is_pseudo'] is True
    # the GT mask wins over a pseudo label of an annotated image
    assert infos['n00000001_1.JPEG']['seg_map_path'].endswith('out/seg/n00000001/n00000001_1.png')
    assert infos['n00000001_1.JPEG']['is_pseudo'] is False


def test_dataset_summary_counts_masks_pseudo_and_parts(converted):
    from mmpart.datasets.dataset_summary import format_summary_table, summarize_part_dataset

    summary = summarize_part_dataset(DATASETS.build(dict(type='PINPPDataset', data_root=str(converted))))
    assert (summary['samples'], summary['with_mask'], summary['pseudo'], summary['parts_present']) == (4, 3, 1, 4)
    assert summary['per_class']['n00000002'] == dict(images=2, with_mask=1, pseudo=0)
    # foreground of the 12x10 masks: body 8x7 (window inside); two 4x4; head 8x8 + tail 4x3 - overlap 2x2
    assert summary['mean_foreground'] == pytest.approx((56 + 32 + 72) / 3 / 120)
    assert format_summary_table(summary).splitlines()[-2].split() == ['total', '4', '3', '1']


def test_num_classes_is_checked_against_the_part_table(converted):
    """Each dataset stops at build time when its configured class count disagrees with part_ids.json."""
    from mmpart.datasets.part_id_table import ClassCountMismatchError

    table = str(converted / 'part_ids.json')
    seg = dict(type='PINPPSegDataset', data_root=str(converted), ann_file='splits/train.txt')
    assert len(DATASETS.build(dict(seg, num_classes=5))) == 2  # background + 4 parts
    with pytest.raises(ClassCountMismatchError, match=rf'PINPPSegDataset: num_classes=3309, but {table} has 4 parts '
                                                      r"over 2 classes, i.e. 5 classes of kind 'segmentation'"):
        DATASETS.build(dict(seg, num_classes=3309))
    coco = dict(type='PINPPCocoDataset', data_root=str(converted), ann_file='coco/pinpp_parts_train.json')
    DATASETS.build(dict(coco, num_classes=4))
    with pytest.raises(ClassCountMismatchError, match=r"num_classes=4, but .* i.e. 6 classes of kind 'parts_and_obj"):
        DATASETS.build(dict(coco, num_classes=4, with_objects=True))
    cls = dict(type='PINPPDataset', data_root=str(converted))
    assert DATASETS.build(dict(cls, num_part_classes=5)).part_table.num_parts == 4
    with pytest.raises(ClassCountMismatchError, match=r'PINPPDataset \(num_part_classes\): num_classes=4, but'):
        DATASETS.build(dict(cls, num_part_classes=4))
    with pytest.raises(FileNotFoundError, match=r'PINPPDataset: part id table .*other.json not found'):
        DATASETS.build(dict(cls, num_part_classes=5, part_id_file='other.json'))
