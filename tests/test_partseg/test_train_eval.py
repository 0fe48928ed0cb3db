"""A few iterations of each model family train on synthetic data (CPU, tiny settings); their evaluation runs a
predictor with a known score: the trained model with its classifier set by hand to say "background" everywhere
(segmentation: mIoU, mAcc, aAcc computed by hand from the masks), the ground truth itself (detection: mAP 1)."""
import glob
import math
import os.path as osp
import re
import subprocess
import sys
from typing import List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import list_from_file
from mmengine.runner import Runner
from PIL import Image

from mmpart.datasets.part_mask_io import read_part_mask
from mmpart.utils import register_all_modules, safe_load_checkpoint

from .conftest import REPO, use_data_root
from .ground_truth_detector import evaluate_ground_truth

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


def background_only_metrics(masks: List[np.ndarray], background: int, ignore: int) -> dict:
    """mmseg ``IoUMetric``'s mIoU / mAcc / aAcc (%) for a prediction of ``background`` at every pixel, by hand:
    background has IoU = its share of the valid pixels and accuracy 100, every part present IoU and accuracy 0,
    classes absent from both are NaN and left out of the means."""
    valid = sum(int((mask != ignore).sum()) for mask in masks)
    hits = sum(int((mask == background).sum()) for mask in masks)
    parts = set().union(*(np.unique(mask).tolist() for mask in masks)) - {background, ignore}
    assert parts and 0 < hits < valid, 'the masks must hold background and parts'
    classes = 1 + len(parts)
    return dict(mIoU=100 * hits / valid / classes, mAcc=100 / classes, aAcc=100 * hits / valid)


def say_background(weight: torch.Tensor, bias: torch.Tensor, background: int) -> None:
    """Set a decode head's final 1x1 conv (``conv_seg``) to give ``background`` the top score at every pixel."""
    with torch.no_grad():
        weight.zero_()
        bias.zero_()
        bias[background] = 1.0


def assert_metrics(measured: dict, expected: dict) -> None:
    for name, value in expected.items():
        assert math.isclose(measured[name], value, abs_tol=0.006), (name, measured[name], value)  # 2 decimals


def test_semantic_fpn_trains_and_tests_on_pinpp(pinpp, tmp_path):
    root = pinpp['root']
    options = ['--cfg-options', *(f'{s}_dataloader.dataset.data_root={root}' for s in ('train', 'val', 'test')),
               *(f'{s}_dataloader.dataset.num_classes={pinpp["num_seg_classes"]}' for s in ('train', 'val', 'test')),
               f'model.decode_head.num_classes={pinpp["num_seg_classes"]}']
    config = osp.join(CONFIGS, 'fpn_r18_tiny_pinpp.py')
    log = run_tool('train.py', config, '--work-dir', str(tmp_path), *options)
    assert 'n90000002:wing' in log  # per-class table over the PIN++ parts
    checkpoint = safe_load_checkpoint(str(tmp_path / 'iter_2.pth'))
    assert checkpoint['meta']['iter'] == 2
    state = checkpoint['state_dict']
    say_background(state['decode_head.conv_seg.weight'], state['decode_head.conv_seg.bias'], background=0)
    torch.save(checkpoint, tmp_path / 'background.pth')
    log = run_tool('test.py', config, str(tmp_path / 'background.pth'), '--work-dir', str(tmp_path), *options)
    masks = [read_part_mask(osp.join(root, 'seg', f'{name}.png')) for name in list_from_file(root + 'splits/val.txt')]
    assert_metrics({name: metric(log, name) for name in ('mIoU', 'mAcc', 'aAcc')},
                   background_only_metrics(masks, background=0, ignore=65535))


def test_mask_rcnn_trains_and_validates_on_pinpp(pinpp, tmp_path):
    root, n = pinpp['root'], pinpp['num_det_classes']
    ann = root + 'coco/pinpp_parts_val.json'
    options = [f'train_dataloader.dataset.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
               f'test_dataloader.dataset.data_root={root}', f'val_evaluator.ann_file={ann}',
               f'test_evaluator.ann_file={ann}', f'train_dataloader.dataset.dataset.num_classes={n}',
               f'val_dataloader.dataset.num_classes={n}', f'test_dataloader.dataset.num_classes={n}',
               f'model.roi_head.bbox_head.num_classes={n}',
               f'model.roi_head.mask_head.num_classes={n}']
    config = osp.join(CONFIGS, 'mask-rcnn_r18_tiny_pinpp.py')
    log = run_tool('train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *options)
    for loss in ('loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'):
        assert math.isfinite(metric(log, loss)), loss
    assert 'coco/segm_mAP' in log and (tmp_path / 'iter_2.pth').is_file()

    # the evaluation path of the config (test pipeline, dataset classes <-> json category ids, COCO metric)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(option.split('=', 1) for option in options))
    cfg.model.roi_head.bbox_head.num_classes = n
    perfect = evaluate_ground_truth(cfg, str(tmp_path / 'gt'))
    assert perfect['coco/bbox_mAP'] == perfect['coco/segm_mAP'] == 1.0
    wrong = evaluate_ground_truth(cfg, str(tmp_path / 'shifted'), label_shift=1)
    assert wrong['coco/bbox_mAP'] == wrong['coco/segm_mAP'] == 0.0


@pytest.mark.parametrize('name', ['deeplabv3_r18_tiny_partimagenet.py', 'segformer_mit-b0_tiny_partimagenet.py'])
def test_segmentor_trains_and_validates_on_partimagenet(name, partimagenet, tmp_path):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    use_data_root(cfg, partimagenet)
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.collate_fn = cfg.val_dataloader.collate_fn = dict(type='pseudo_collate')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2 and len(runner.val_dataloader.dataset.metainfo['classes']) == 41
    # PartImageNet's background is class 40 (parts 0..39), 255 the ignore index
    conv_seg = runner.model.decode_head.conv_seg
    say_background(conv_seg.weight, conv_seg.bias, background=40)
    masks = [np.asarray(Image.open(path)) for path in sorted(glob.glob(osp.join(partimagenet, 'annotations', 'val',
                                                                                '*.png')))]
    assert_metrics(runner.val(), background_only_metrics(masks, background=40, ignore=255))
