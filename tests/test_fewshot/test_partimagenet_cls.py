"""PartImageNet classification views: both releases, three label spaces, part masks from the json."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from mmpart.datasets import PartImageNetClsDataset
from mmpart.datasets.partimagenet_meta import PARTIMAGENET_BACKGROUND, PARTIMAGENET_SUPERCATEGORIES
from mmpart.utils import register_all_modules

register_all_modules()
MASK_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPartMaskFromAnnotations')]


def test_ood_split_view_labels_the_split_classes(synthetic_ood):
    dataset = PartImageNetClsDataset(data_root=str(synthetic_ood['root']), split='train')
    assert dataset.release == 'ood'
    assert dataset.metainfo['classes'] == tuple(sorted(synthetic_ood['splits']['train']))
    assert len(dataset) == 6 * 8
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert dataset.metainfo['classes'][info['gt_label']] in info['img_path']


def test_release_view_numbers_the_classes_of_all_splits(synthetic_ood):
    everything = sorted(w for wnids in synthetic_ood['splits'].values() for w in wnids)
    dataset = PartImageNetClsDataset(data_root=str(synthetic_ood['root']), split='test', label_space='release')
    assert dataset.metainfo['classes'] == tuple(everything)
    labels = {everything[label] for label in dataset.get_gt_labels()}
    assert labels == set(synthetic_ood['splits']['test'])


@pytest.mark.parametrize('fixture', ['synthetic_ood', 'synthetic_seg'])
def test_supercategory_view_reads_the_super_categories_off_the_json(fixture, request):
    data = request.getfixturevalue(fixture)
    dataset = PartImageNetClsDataset(data_root=str(data['root']), split='val', label_space='supercategory')
    assert dataset.release == ('ood' if fixture == 'synthetic_ood' else 'seg')
    assert dataset.metainfo['classes'] == PARTIMAGENET_SUPERCATEGORIES
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        wnid = info['img_path'].rsplit('/', 1)[1].split('_')[0]
        assert PARTIMAGENET_SUPERCATEGORIES[info['gt_label']] == data['supercategories'][wnid]


def test_given_supercategories_and_class_lists_are_checked(synthetic_ood, tmp_path):
    root, wnids = str(synthetic_ood['root']), synthetic_ood['splits']['val']
    given = {w: 'Boat' for w in wnids}
    dataset = PartImageNetClsDataset(data_root=root, split='val', label_space='supercategory',
                                     wnid_to_supercategory=given)
    assert set(dataset.get_gt_labels()) == {PARTIMAGENET_SUPERCATEGORIES.index('Boat')}
    path = tmp_path / 'map.json'
    path.write_text(json.dumps({**given, wnids[0]: 'Submarine'}))
    with pytest.raises(ValueError, match=f"{path}: '{wnids[0]}' maps to 'Submarine'"):
        PartImageNetClsDataset(data_root=root, split='val', label_space='supercategory',
                               wnid_to_supercategory=str(path))
    with pytest.raises(ValueError, match=f"'{sorted(wnids)[-1]}' .* is not in metainfo"):
        PartImageNetClsDataset(data_root=root, split='val', metainfo=dict(classes=sorted(wnids)[:-1]))


def test_a_class_with_parts_of_two_super_categories_is_an_error(synthetic_ood, tmp_path):
    root = tmp_path / 'release'
    shutil.copytree(synthetic_ood['root'] / 'val', root / 'val')
    coco = json.loads((synthetic_ood['root'] / 'val.json').read_text())
    first = coco['annotations'][0]
    first['category_id'] = 31 if first['category_id'] != 31 else 0  # a boat part in another class
    (root / 'val.json').write_text(json.dumps(coco))
    with pytest.raises(ValueError, match='val.json: the images of .* have parts of several super-categories'):
        PartImageNetClsDataset(data_root=str(root), split='val', label_space='supercategory')


def test_macos_junk_is_skipped_and_a_missing_split_is_named(synthetic_ood, tmp_path):
    root = tmp_path / 'release'
    shutil.copytree(synthetic_ood['root'] / 'test', root / 'test')
    (root / 'test' / '__MACOSX').mkdir()
    wnid = synthetic_ood['splits']['test'][0]
    (root / 'test' / wnid / f'._{wnid}_0.JPEG').write_bytes(b'junk')
    assert len(PartImageNetClsDataset(data_root=str(root), split='test')) == 5 * 8
    with pytest.raises(FileNotFoundError, match='neither .*train/ \\(OOD release\\) nor .*images/train/'):
        PartImageNetClsDataset(data_root=str(root), split='train')


def test_part_masks_from_the_json_match_the_seg_release_pngs(synthetic_seg):
    root = synthetic_seg['root']
    dataset = PartImageNetClsDataset(data_root=str(root), split='train', with_part_masks=True, pipeline=MASK_PIPELINE)
    assert dataset.metainfo['part_classes'][0] == 'Background' and len(dataset.metainfo['part_classes']) == 41
    for i in range(len(dataset)):
        results = dataset[i]
        png = np.asarray(Image.open(results['img_path'].replace('images', 'annotations').replace('.JPEG', '.png')))
        expected = np.where(png == PARTIMAGENET_BACKGROUND, 0, png.astype(np.int64) + 1)
        assert results['gt_seg_map'].dtype == np.uint16 and results['has_part_mask']
        np.testing.assert_array_equal(results['gt_seg_map'], expected)


def test_images_missing_from_the_json_get_no_mask(synthetic_ood, tmp_path):
    root = tmp_path / 'release'
    shutil.copytree(synthetic_ood['root'] / 'val', root / 'val')
    coco = json.loads((synthetic_ood['root'] / 'val.json').read_text())
    dropped = coco['images'].pop(0)
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] != dropped['id']]
    (root / 'val.json').write_text(json.dumps(coco))
    dataset = PartImageNetClsDataset(data_root=str(root), split='val', with_part_masks=True, pipeline=MASK_PIPELINE)
    by_name = {dataset.get_data_info(i)['img_path'].rsplit('/', 1)[1]: i for i in range(len(dataset))}
    results = dataset[by_name[dropped['file_name']]]
    assert not results['has_part_mask'] and not results['gt_seg_map'].any()
    assert dataset[by_name[coco['images'][0]['file_name']]]['has_part_mask']
