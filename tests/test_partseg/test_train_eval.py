"""A few iterations of each model family train and evaluate on synthetic data (CPU, tiny settings)."""
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpart.utils import register_all_modules

from .conftest import REPO, use_data_root

CONFIGS = osp.join(osp.dirname(__file__), 'configs')


def run_tool(tool: str, *args: str) -> str:
    """Run ``tools/<tool>`` in a new process (runners share named visualizers within a process); its log."""
    result = subprocess.run([sys.executable, osp.join(REPO, 'tools', tool), *args], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def metric(log: str, name: str) -> float:
    values = re.findall(rf'{re.escape(name)}: (-?\d+\.\d+)', log)
    assert values, f'{name} not in the log'
    return float(values[-1])


def test_semantic_fpn_trains_and_tests_on_pinpp(pinpp, tmp_path):
    root = pinpp['root']
    options = ['--cfg-options', *(f'{s}_dataloader.dataset.data_root={root}' for s in ('train', 'val', 'test')),
               *(f'{s}_dataloader.dataset.num_classes={pinpp["num_seg_classes"]}' for s in ('train', 'val', 'test')),
               f'model.decode_head.num_classes={pinpp["num_seg_classes"]}']
    config = osp.join(CONFIGS, 'fpn_r18_tiny_pinpp.py')
    log = run_tool('train.py', config, '--work-dir', str(tmp_path), *options)
    assert 0 <= metric(log, 'mIoU') <= 100 and 'n90000002:wing' in log  # per-class table over the PIN++ parts
    log = run_tool('test.py', config, str(tmp_path / 'iter_2.pth'), '--work-dir', str(tmp_path), *options)
    assert 0 <= metric(log, 'mIoU') <= 100 and 0 <= metric(log, 'mAcc') <= 100


def test_mask_rcnn_trains_and_validates_on_pinpp(pinpp, tmp_path):
    root, n = pinpp['root'], pinpp['num_det_classes']
    ann = root + 'coco/pinpp_parts_val.json'
    options = ['--cfg-options', f'train_dataloader.dataset.dataset.data_root={root}',
               f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}',
               f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}',
               f'train_dataloader.dataset.dataset.num_classes={n}', f'val_dataloader.dataset.num_classes={n}',
               f'test_dataloader.dataset.num_classes={n}',
               f'model.roi_head.bbox_head.num_classes={n}', f'model.roi_head.mask_head.num_classes={n}']
    config = osp.join(CONFIGS, 'mask-rcnn_r18_tiny_pinpp.py')
    log = run_tool('train.py', config, '--work-dir', str(tmp_path), *options)
    assert -1 <= metric(log, 'coco/bbox_mAP') <= 1 and -1 <= metric(log, 'coco/segm_mAP') <= 1


@pytest.mark.parametrize('name', ['deeplabv3_r18_tiny_partimagenet.py', 'segformer_mit-b0_tiny_partimagenet.py'])
def test_segmentor_trains_and_validates_on_partimagenet(name, partimagenet, tmp_path):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    use_data_root(cfg, partimagenet)
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.collate_fn = cfg.val_dataloader.collate_fn = dict(type='pseudo_collate')
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.message_hub.log_scalars
    assert 'val/mIoU' in metrics and 0 <= metrics['val/mIoU'].current() <= 100
    assert len(runner.val_dataloader.dataset.metainfo['classes']) == 41
