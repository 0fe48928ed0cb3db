"""Synthetic data for the part segmentation configs: a converted PIN++ set and a PartImageNet Seg release."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmpart.datasets.converters.partimagenet_cleaner import clean_partimagenet
from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp
from mmpart.datasets.part_mask_io import read_part_mask
from mmpart.datasets.partimagenet_meta import PARTIMAGENET_BACKGROUND, PARTIMAGENET_PARTS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


@pytest.fixture(scope='session')
def pinpp(tmp_path_factory) -> dict:
    """The converter's output (COCO files with objects) over a 3-class synthetic release."""
    root = tmp_path_factory.mktemp('partseg_pinpp')
    info = make_synthetic_pinpp(str(root / 'synthetic'), num_classes=3, images_per_class=6, unlabeled_per_class=1,
                                val_per_class=1, image_size=64)
    converted = str(root / 'converted')
    summary = convert_pinpp(info['paths']['pinpp'], info['paths']['imagenet_train'], converted, val_ratio=0.34,
                            with_objects=True)
    return dict(root=converted + '/', num_seg_classes=summary['parts'] + 1,
                num_det_classes=summary['parts'] + summary['classes'])


def _partimagenet_id(part_id: np.ndarray) -> np.ndarray:
    """PIN++ global part id -> a PartImageNet part id (0..39), background 0 -> 40."""
    return np.where(part_id > 0, (part_id.astype(np.int64) - 1) % 40, PARTIMAGENET_BACKGROUND)


@pytest.fixture(scope='session')
def partimagenet(pinpp, tmp_path_factory) -> str:
    """A PartImageNet Seg release (flat images, part PNGs with background 40, whole-object PNGs with background
    158, COCO json with ids from 0) made from the converted PIN++ set, with the cleaned json of
    tools/dataset_converters/partimagenet.py; test = val."""
    src, root = pinpp['root'], tmp_path_factory.mktemp('partimagenet')
    for split, source in (('train', 'train'), ('val', 'val'), ('test', 'val')):
        with open(osp.join(src, 'coco', f'pinpp_parts_{source}.json')) as f:
            coco = json.load(f)
        os.makedirs(root / 'images' / split)
        os.makedirs(root / 'annotations' / split)
        os.makedirs(root / 'annotations' / f'{split}_whole')
        for img in coco['images']:
            stem = osp.splitext(osp.basename(img['file_name']))[0]
            shutil.copyfile(osp.join(src, 'img', img['file_name']), root / 'images' / split / f'{stem}.JPEG')
            mask = read_part_mask(osp.join(src, 'seg', img['file_name'].split('/')[0], f'{stem}.png'))
            Image.fromarray(_partimagenet_id(mask).astype(np.uint8)).save(root / 'annotations' / split / f'{stem}.png')
            whole = np.where(mask > 0, int(stem[1:9]) % 158, 158).astype(np.uint8)  # object class from the wnid
            Image.fromarray(whole).save(root / 'annotations' / f'{split}_whole' / f'{stem}.png')
            img['file_name'] = f'{stem}.JPEG'
        objects = {c['id'] for c in coco['categories'] if c['supercategory'] == 'object'}
        parts = [a for a in coco['annotations'] if a['category_id'] not in objects]
        for a in parts:
            a['category_id'] = int(_partimagenet_id(np.array(a['category_id'])))
        coco.update(annotations=parts, categories=[dict(id=i, name=n) for i, n in enumerate(PARTIMAGENET_PARTS)])
        with open(root / 'annotations' / f'{split}.json', 'w') as f:
            json.dump(coco, f)
    clean_partimagenet(str(root))
    return str(root) + '/'


def datasets_of(cfg) -> list:
    """``(split, dataset dict)`` of the train, val and test dataloaders ``cfg`` has (inside dataset wrappers); a
    scoring-only config has no train (or val) dataloader."""
    found = []
    for split in ('train', 'val', 'test'):
        if cfg.get(f'{split}_dataloader') is None:
            continue
        dataset = cfg[f'{split}_dataloader'].dataset
        while 'dataset' in dataset:
            dataset = dataset.dataset
        found.append((split, dataset))
    return found


def use_data_root(cfg, root: str) -> None:
    """Point every dataset of ``cfg`` (through wrappers) and every evaluator's ``ann_file`` at ``root``."""
    for split, dataset in datasets_of(cfg):
        old_root, dataset.data_root = dataset.data_root, root
        evaluator = cfg.get(f'{split}_evaluator')
        if evaluator is not None and evaluator.get('ann_file'):
            evaluator.ann_file = evaluator.ann_file.replace(old_root, root)
