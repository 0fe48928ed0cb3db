"""Downstream detection: an mmdet detector whose backbone is initialised from a synthetic MPM checkpoint."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules, safe_load_checkpoint

from ..test_partseg.ground_truth_detector import evaluate_ground_truth

REPO = Path(__file__).parents[2]
DET_CONFIG = 'configs/downstream/faster-rcnn_mpm-r18_fpn_synthetic.py'


def run_tool(*args: str) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def mpm_checkpoint(synthetic_pinpp, tmp_path_factory) -> Path:
    """One epoch of the synthetic MPM recipe through tools/train.py."""
    work_dir = tmp_path_factory.mktemp('mpm')
    run_tool('tools/train.py', 'configs/mpm/mpm_r18_synthetic.py', '--work-dir', str(work_dir), '--no-validate',
             '--cfg-options', f'train_dataloader.dataset.data_root={synthetic_pinpp}/',
             'train_dataloader.num_workers=0', 'train_cfg.max_epochs=1')
    return work_dir / 'epoch_1.pth'


def detector_options(data_root: Path, checkpoint: Path) -> list:
    options = [f'model.backbone.init_cfg.checkpoint={checkpoint}']
    for split in ('train', 'val', 'test'):
        options += [f'{split}_dataloader.dataset.data_root={data_root}/', f'{split}_dataloader.num_workers=0']
    ann_file = f'{data_root}/coco/pinpp_parts_val.json'
    return options + [f'{evaluator}.ann_file={ann_file}' for evaluator in ('val_evaluator', 'test_evaluator')]


def test_every_backbone_key_comes_from_the_mpm_checkpoint(mpm_checkpoint):
    register_all_modules()
    cfg = Config.fromfile(str(REPO / DET_CONFIG))
    cfg.model.backbone.init_cfg.checkpoint = str(mpm_checkpoint)
    detector = MODELS.build(cfg.model)
    detector.init_weights()

    state = safe_load_checkpoint(str(mpm_checkpoint))['state_dict']
    assert any(k.startswith('part_head.') for k in state) and any(k.startswith('head.') for k in state)
    expected = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    loaded = detector.backbone.state_dict()
    assert set(loaded) - set(expected) == set()  # no missing backbone key
    assert set(expected) - set(loaded) == set()  # no unexpected key
    for name, tensor in expected.items():
        assert torch.equal(loaded[name], tensor), name
    # classifier and bypass weights are left behind
    assert not any('part_head' in k or k.startswith('head.fc') for k in detector.state_dict())


@pytest.fixture(scope='module')
def objects_coco(synthetic_pinpp, tmp_path_factory) -> Path:
    """The synthetic set converted with its object boxes (``--with-objects``)."""
    data_root = tmp_path_factory.mktemp('objects') / 'converted'
    convert_pinpp(str(synthetic_pinpp / 'pinpp'), str(synthetic_pinpp / 'imagenet' / 'train'), str(data_root),
                  val_ratio=0.2, with_objects=True)
    return data_root


def test_detector_trains_on_synthetic_coco(objects_coco, mpm_checkpoint, tmp_path):
    """Trained with the R-50 COCO configs' freezing (stem and stage 1, every BN in eval mode): after an epoch
    those weights and every BN statistic are still exactly the MPM checkpoint's, the rest has trained."""
    out = run_tool('tools/train.py', DET_CONFIG, '--work-dir', str(tmp_path / 'det'), '--cfg-options',
                   *detector_options(objects_coco, mpm_checkpoint), 'train_cfg.max_epochs=1',
                   'train_cfg.val_interval=1', 'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
                   'model.backbone.frozen_stages=1')
    losses = re.findall(r'loss_bbox: (\S+)', out)
    assert losses and all(torch.isfinite(torch.tensor(float(v))) for v in losses) and 'coco/bbox_mAP' in out
    mpm = safe_load_checkpoint(str(mpm_checkpoint))['state_dict']
    mpm = {k: v for k, v in mpm.items() if k.startswith('backbone.')}
    trained = safe_load_checkpoint(str(tmp_path / 'det' / 'epoch_1.pth'))['state_dict']
    kept = [k for k in mpm if k.startswith(('backbone.conv1.', 'backbone.bn1.', 'backbone.layer1.'))
            or k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))]
    assert len(kept) > 30 and all(torch.equal(trained[k], mpm[k]) for k in kept)
    assert not torch.equal(trained['backbone.layer4.0.conv1.weight'], mpm['backbone.layer4.0.conv1.weight'])


def test_evaluation_of_the_synthetic_config(objects_coco, tmp_path):
    """Its test dataloader and evaluator score the ground truth 1 and every box in another class 0."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(REPO / DET_CONFIG))
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader.dataset.data_root = f'{objects_coco}/'
    cfg.test_evaluator.ann_file = f'{objects_coco}/coco/pinpp_parts_val.json'
    assert evaluate_ground_truth(cfg, str(tmp_path / 'gt'))['coco/bbox_mAP'] == 1.0
    assert evaluate_ground_truth(cfg, str(tmp_path / 'shifted'), label_shift=1)['coco/bbox_mAP'] == 0.0
