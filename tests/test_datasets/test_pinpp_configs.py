"""The PIN++ configs read their class counts from the converter's part_ids.json, and share them between the
datasets (which check them) and the heads."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmpart.datasets.part_id_table import PartIdTable

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def load(name: str) -> Config:
    return Config.fromfile(str(CONFIGS / name))


def datasets(cfg: Config) -> list:
    found = []
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        while 'dataset' in dataset:
            dataset = dataset.dataset
        found.append(dataset)
    return found


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # configs are loaded from the repository root: data/ is relative to it
    return tmp_path


def write_table(path: Path, parts_per_class) -> None:
    PartIdTable([(f'n{k:08d}', f'object {k}', [(i, f'part {i}') for i in range(1, n + 1)])
                 for k, n in enumerate(parts_per_class)]).dump(str(path))


def test_class_counts_follow_the_part_table(in_tmp):
    write_table(in_tmp / 'data' / 'pinpp' / 'part_ids.json', [2, 1, 3])  # 6 parts in 3 classes
    seg = load('partseg/fpn_r50_4xb4-40k_pinpp-512x512.py')
    assert seg.num_classes == seg.model.decode_head.num_classes == 7
    assert [d.num_classes for d in datasets(seg)] == [7, 7, 7]
    deeplab = load('partseg/deeplabv3_r101-d8_4xb4-40k_pinpp-512x512.py')
    assert deeplab.model.decode_head.num_classes == deeplab.model.auxiliary_head.num_classes == 7
    det = load('partdet/mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py')
    assert det.model.roi_head.bbox_head.num_classes == det.model.roi_head.mask_head.num_classes == 6 + 3
    assert [d.num_classes for d in datasets(det)] == [9, 9, 9]
    for name in ('mpm/mpm_r50.py', 'mpm/mpm_r50_init.py', 'mpm/mpm_r50_standard.py', 'mpm/mpm_convnext-t.py'):
        mpm = load(name)
        assert mpm.model.part_head.num_classes == mpm.train_dataloader.dataset.num_part_classes == 7, name

    write_table(in_tmp / 'data' / 'synthetic_pinpp' / 'converted' / 'part_ids.json', [4, 5])
    assert load('mpm/mpm_r18_synthetic.py').model.part_head.num_classes == 10
    synthetic_det = load('partdet/mask-rcnn_r18_fpn_synthetic-parts.py')
    assert synthetic_det.model.roi_head.mask_head.num_classes == 9 + 2
    assert [d.num_classes for d in datasets(synthetic_det)] == [11, 11, 11]


def test_class_counts_without_a_converted_release(in_tmp):
    """No table where the config is loaded: the authors' code count (3,310 parts), the demo's synthetic set."""
    assert load('partseg/segformer_mit-b4_4xb4-40k_pinpp-512x512.py').model.decode_head.num_classes == 3311
    assert load('partdet/mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py').model.roi_head.bbox_head.num_classes == 4310
    assert load('mpm/mpm_swin-t.py').model.part_head.num_classes == 3311
    assert load('mpm/mpm_r18_synthetic.py').model.part_head.num_classes == 22
    assert load('partdet/mask-rcnn_r18_fpn_synthetic-parts.py').model.roi_head.bbox_head.num_classes == 27
