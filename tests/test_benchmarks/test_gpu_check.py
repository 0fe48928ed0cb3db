"""benchmarks/gpu_check.py: its CPU dry run goes through every part, and its helpers compute what they say."""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'benchmarks' / 'gpu_check.py'


@pytest.fixture(scope='module')
def gpu_check():
    spec = importlib.util.spec_from_file_location('gpu_check', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logit_scale_reaches_the_target_confidence(gpu_check):
    # two classes with logits (0, 1): 1 - max softmax at scale s is 1 / (1 + e^s), so the target t needs
    # s = ln(1/t - 1)
    logits = torch.tensor([[0.0, 1.0]] * 3)
    for target in (1e-2, 1e-4, 1e-6):
        assert gpu_check.logit_scale_for(logits, target) == pytest.approx(math.log(1 / target - 1), rel=1e-6)
    assert gpu_check.logit_scale_for(logits, None) == 1.0


def test_gradient_stats_by_hand(gpu_check):
    reference = torch.tensor([[1.0, -2.0, 0.0, 4.0], [1.0, 1.0, 1.0, -1.0]])
    grad = torch.tensor([[2.0, 3.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0]])  # the second sample zeroed (non-finite)
    stats = gpu_check.gradient_stats(grad, reference)
    assert stats['zero_fraction'] == 5 / 8
    assert stats['zeroed_samples'] == 1
    assert stats['sign_agreement'] == round(1 / 7, 4)  # of the 7 nonzero reference entries only the first agrees
    assert stats['weighted_sign_agreement'] == round(1 / 11, 4)  # |1| of 1 + 2 + 4 + 4 * 1


def test_ddp_config_is_the_recipe_on_synthetic_data(gpu_check, synthetic_pinpp, tmp_path):
    from mmengine.config import Config

    path = gpu_check.ddp_config(tmp_path / 'check.py', synthetic_pinpp, gpu_check.DRY_RUN, 2, cpu=True)
    cfg = Config.fromfile(str(path))
    recipe = Config.fromfile(str(gpu_check.MPM_CONFIG))
    assert cfg.model.type == 'MPMClassifier' and cfg.model.attack == recipe.model.attack
    assert cfg.model.part_head.num_classes == cfg.train_dataloader.dataset.num_part_classes == 22
    assert cfg.load_from is None and cfg.train_cfg.max_epochs == 1 and cfg.custom_hooks == recipe.custom_hooks
    assert cfg.train_dataloader.dataset.indices == 2 * 2 * 2  # two iterations of two processes
    assert cfg.val_dataloader.dataset.type == 'PINPPDataset' and cfg.val_cfg.attack.steps == 2
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in cfg.optim_wrapper  # no AMP on the CPU
    gpu = Config.fromfile(str(gpu_check.ddp_config(tmp_path / 'gpu.py', synthetic_pinpp, gpu_check.Sizes(), 8,
                                                   cpu=False)))
    assert gpu.optim_wrapper.type == 'AmpOptimWrapper' and gpu.optim_wrapper.loss_scale == 'dynamic'
    assert gpu.default_hooks.checkpoint.save_best == recipe.default_hooks.checkpoint.save_best
    assert gpu.train_dataloader.dataset.indices == 2 * 16 * 8


@pytest.mark.parametrize('args, message', [
    (['--parts', 'env,bogus'], "unknown part(s) ['bogus']"),
    ([], 'no CUDA GPU is visible'),
])
def test_bad_arguments(tmp_path, args, message):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run([sys.executable, str(SCRIPT), '--out', str(tmp_path), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / 'gpu_check.json').exists()


def test_dry_run_goes_through_every_part(tmp_path):
    """The whole check on the CPU at tiny sizes: every part runs, and each records what it measured."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run([sys.executable, str(SCRIPT), '--dry-run', '--out', str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '| part | check | value | target | ok |' in proc.stdout and 'every part ran' in proc.stdout
    summary = json.loads((tmp_path / 'gpu_check.json').read_text())
    parts = summary['parts']
    assert summary['dry_run'] and list(parts) == ['env', 'throughput', 'numerics', 'ddp', 'maskrcnn']
    assert not [name for name, part in parts.items() if 'error' in part]
    # each part is timed (the env part can round to 0.0 s)
    assert all(part['seconds'] >= 0 for part in parts.values())

    assert parts['env']['torch'] == torch.__version__ and parts['env']['device'] == 'cpu'
    steps = parts['throughput']['steps']
    assert sorted(steps) == ['mpm@2', 'mpm_pgd2@2', 'plain@2']
    assert all(s['images_per_s'] > 0 and s['loss_finite'] for s in steps.values())
    assert set(parts['throughput']['ratios']['2']) >= {'mpm_over_plain_time', 'pgd2_over_clean_time',
                                                       'plain_fraction_of_a100_anchor'}
    regimes = parts['numerics']['regimes']
    assert [r['target'] for r in regimes] == [None, 1e-6]
    assert regimes[1]['median_one_minus_max_prob'] == pytest.approx(1e-6, rel=0.01)
    for regime in regimes:
        assert list(regime['modes']) == ['fp32', 'fp16', 'fp16_no_rescale']
        assert regime['modes']['fp32']['sign_agreement'] == 1.0 and regime['modes']['fp32']['zero_fraction'] < 0.5
    ddp = parts['ddp']
    assert ddp['processes'] == 1 and ddp['backend'] == 'gloo' and ddp['iters'] == [2, 4]
    assert len(ddp['losses']) == 4 and all(math.isfinite(v) for v in ddp['losses'])
    maskrcnn = parts['maskrcnn']
    assert all(math.isfinite(v) for v in maskrcnn['train']['losses'].values())
    assert sum(maskrcnn['test']['detections']) > 0 and maskrcnn['pseudo_labels']['images'] > 0
    checks = {(c['part'], c['check']): c['ok'] for c in summary['checks']}
    assert all(ok for (part, _), ok in checks.items() if part in ('env', 'ddp', 'maskrcnn'))  # steps that must work
