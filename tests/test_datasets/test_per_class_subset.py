"""PerClassSubset: the first N samples of every class, in the dataset's order, with their full-set indices; the
IN-1K recipes validate on 10 per class and test on the full set."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpart.datasets import PerClassSubset
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

from ..test_engine.hand_set_classifier import hand_set_config, make_margin_data

CONFIGS = Path(__file__).parents[2] / 'configs'


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    register_all_modules()
    return hand_set_config(make_margin_data(tmp_path_factory.mktemp('subset'))).test_dataloader.dataset


def test_first_samples_of_each_class_in_dataset_order(folders):
    full = DATASETS.build(folders)
    labels = list(full.get_gt_labels())
    assert labels == [0] * 7 + [1] * 7
    subset = DATASETS.build(dict(type='PerClassSubset', dataset=folders, per_class=3))
    assert subset.indices == [0, 1, 2, 7, 8, 9] and len(subset) == 6
    assert list(subset.get_gt_labels()) == [0, 0, 0, 1, 1, 1]
    assert subset.metainfo == full.metainfo
    item = subset[4]
    assert item['data_samples'].sample_idx == 8 and item['data_samples'].img_path == full.get_data_info(8)['img_path']
    assert subset.get_data_info(4)['img_path'] == full.get_data_info(8)['img_path']
    assert len(PerClassSubset(full, per_class=100)) == 14  # a class with fewer keeps all of its own
    with pytest.raises(ValueError, match='per_class must be >= 1'):
        PerClassSubset(full, per_class=0)


def test_subset_in_a_dataloader(folders, tmp_path):
    loader = Runner.build_dataloader(dict(batch_size=4, num_workers=0, dataset=dict(
        type='PerClassSubset', dataset=folders, per_class=2), sampler=dict(type='DefaultSampler', shuffle=False)))
    indices = [s.sample_idx for batch in loader for s in batch['data_samples']]
    assert indices == [0, 1, 7, 8]


def test_in1k_recipes_validate_on_10_per_class_and_test_on_the_full_set():
    recipes = sorted(p for family in ('mpm', 'baseline', 'two-stage') for p in (CONFIGS / family).glob('*.py')
                     if 'synthetic' not in p.stem)
    assert len(recipes) >= 10
    for path in recipes:
        cfg = Config.fromfile(str(path))
        val, test = cfg.val_dataloader.dataset, cfg.test_dataloader.dataset
        assert val.type == 'PerClassSubset' and val.per_class == 10, path.name
        assert val.dataset == test and test.type == 'ImageNet' and test.split == 'val', path.name
