"""The synthetic PartImageNet split: disjoint classes, release layouts, determinism, safe reruns."""
import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from mmpart.datasets.converters.synthetic_partimagenet import make_synthetic_partimagenet
from mmpart.datasets.partimagenet_meta import PARTIMAGENET_BACKGROUND, PARTIMAGENET_PARTS


def test_splits_hold_disjoint_classes_in_the_ood_layout(synthetic_ood):
    root, splits = synthetic_ood['root'], synthetic_ood['splits']
    assert [len(splits[s]) for s in ('train', 'val', 'test')] == [6, 5, 5]
    assert not set(splits['train']) & set(splits['val']) and not set(splits['train']) & set(splits['test'])
    assert not set(splits['val']) & set(splits['test'])
    for split, wnids in splits.items():
        assert sorted(p.name for p in (root / split).iterdir()) == sorted(wnids)
        coco = json.loads((root / f'{split}.json').read_text())
        assert len(coco['images']) == 8 * len(wnids)
        assert all('/' not in img['file_name'] for img in coco['images'])  # as the OOD release: no folder
        assert [c['id'] for c in coco['categories']] == list(range(40))
        assert {a['category_id'] for a in coco['annotations']} <= set(range(40))


def test_seg_layout_pngs_are_the_painted_json_with_background_40(synthetic_seg):
    root = synthetic_seg['root']
    coco = json.loads((root / 'annotations' / 'train.json').read_text())
    for img in coco['images']:
        mask = np.asarray(Image.open(root / 'annotations' / 'train' / img['file_name'].replace('.JPEG', '.png')))
        assert mask.shape == (48, 48) and (root / 'images' / 'train' / img['file_name']).is_file()
        drawn = {a['category_id'] for a in coco['annotations'] if a['image_id'] == img['id']}
        assert set(np.unique(mask).tolist()) == drawn | {PARTIMAGENET_BACKGROUND}
    super_of = synthetic_seg['supercategories']
    for ann in coco['annotations']:  # every part belongs to its class's super-category
        wnid = coco['images'][ann['image_id'] - 1]['file_name'].split('_')[0]
        assert PARTIMAGENET_PARTS[ann['category_id']].startswith(super_of[wnid])


def digest(root) -> str:
    files = sorted(p for p in root.rglob('*') if p.is_file())
    return hashlib.sha1(b''.join(p.relative_to(root).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def test_same_arguments_give_identical_bytes_and_reruns_replace_only_their_own_output(tmp_path):
    make_synthetic_partimagenet(str(tmp_path / 'a'), num_classes=(2, 1, 1), images_per_class=2, image_size=32)
    make_synthetic_partimagenet(str(tmp_path / 'b'), num_classes=(2, 1, 1), images_per_class=2, image_size=32)
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    make_synthetic_partimagenet(str(tmp_path / 'a'), num_classes=(2, 1, 1), images_per_class=2, image_size=32)
    assert digest(tmp_path / 'a') == digest(tmp_path / 'b')
    foreign = tmp_path / 'c' / 'train'
    foreign.mkdir(parents=True)
    with pytest.raises(FileExistsError, match='was not written by make_synthetic_partimagenet'):
        make_synthetic_partimagenet(str(tmp_path / 'c'), num_classes=(2, 1, 1), images_per_class=1)
    assert foreign.is_dir()
    with pytest.raises(ValueError, match='need 3 class counts'):
        make_synthetic_partimagenet(str(tmp_path / 'd'), num_classes=(2, 1))
