"""tools/test.py --attack on a hand-set classifier: one process vs tools/dist_test.sh with two, EMA checkpoints."""
import glob
import json
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..test_engine.hand_set_classifier import (
    NUM_SAMPLES,
    expected_accuracy,
    hand_set_config,
    make_margin_data,
    write_checkpoint,
)
from ..test_engine.tiny_classifier import TINY_CONFIG, load_tiny, make_tiny_data, one_thread, train_tiny, val_batch

REPO = Path(__file__).parents[2]
# 3 steps of 2/255 from the clean image reach the corner of the 4/255 ball
ATTACK_ARGS = ['--attack', 'pgd', '--eps', '4', '--steps', '3', '--step-size', '2',
               '--attack-cfg', 'random_start=False']


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def hand_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('test_attack')
    data_root = make_margin_data(root / 'data')
    config = root / 'hand_set.py'
    hand_set_config(data_root).dump(str(config))
    return root, str(config), write_checkpoint(root / 'hand_set.pth')


def run_test(root: Path, config: str, ckpt: str, name: str, *cmd_prefix: str, args=ATTACK_ARGS):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=str(free_port()),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    work_dir = root / name
    nproc = [] if cmd_prefix[0] == sys.executable else ['2']
    proc = subprocess.run([*cmd_prefix, config, ckpt, *nproc, *args, '--work-dir', str(work_dir), '--out',
                           str(work_dir / 'preds.pkl')], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = glob.glob(str(work_dir / '*' / 'robustness.json'))
    with open(work_dir / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    return (json.loads(Path(summaries[0]).read_text()) if summaries else None), preds


@pytest.fixture(scope='module')
def single(hand_set):
    return run_test(*hand_set, 'single', sys.executable, 'tools/test.py')


def test_single_process_reports_clean_and_robust(single):
    summary, preds = single
    assert summary['attack'] == dict(type='PGD', eps=4.0, steps=3, step_size=2.0, random_start=False)
    assert summary['num_samples'] == len(preds) == NUM_SAMPLES
    metrics = summary['metrics']
    assert metrics['accuracy/top1'] == pytest.approx(expected_accuracy(0))
    assert metrics['accuracy/robust_top1'] == pytest.approx(expected_accuracy(4))
    robust = sum(bool(p['pred_label'] == p['gt_label']) and bool(p['adv_pred_label'] == p['gt_label']) for p in preds)
    assert metrics['accuracy/robust_top1'] == pytest.approx(100 * robust / NUM_SAMPLES)


def test_dist_test_two_processes_match_one(hand_set, single):
    summary, preds = run_test(*hand_set, 'dist', 'bash', 'tools/dist_test.sh')
    assert summary == single[0]
    assert [p['gt_label'].item() for p in preds] == [p['gt_label'].item() for p in single[1]]
    for p, q in zip(preds, single[1]):
        assert p['adv_pred_label'] == q['adv_pred_label']
        torch.testing.assert_close(p['adv_pred_score'], q['adv_pred_score'], atol=1e-4, rtol=0)


def test_evaluates_ema_weights(tmp_path):
    # mmengine's EMAHook saves the EMA weights as state_dict (the raw ones as ema_state_dict); two epochs of
    # training make them differ, whatever the model learns
    data_root = make_tiny_data(tmp_path / 'data')
    ckpt, runner = train_tiny(data_root, str(tmp_path / 'train'), **{'train_cfg.max_epochs': 2})
    ema_hook = next(h for h in runner.hooks if type(h).__name__ == 'EMAHook')
    weights = dict(ema=ema_hook.ema_model.module.state_dict(), raw=runner.model.state_dict())
    state = torch.load(ckpt, weights_only=True)
    for key, value in weights['ema'].items():
        torch.testing.assert_close(state['state_dict'][key], value)
    assert any(not torch.equal(weights['ema'][k], weights['raw'][k]) for k in weights['ema'])

    _, preds = run_test(tmp_path, TINY_CONFIG, ckpt, 'ema', sys.executable, 'tools/test.py',
                        args=['--cfg-options', f'test_dataloader.dataset.data_root={data_root}'])
    scores = torch.stack([p['pred_score'] for p in preds])
    batch = val_batch(data_root)
    for name, expect_match in (('ema', True), ('raw', False)):
        with torch.no_grad():
            ref = torch.stack([r.pred_score for r in load_tiny(weights[name]).val_step(batch)])
        assert torch.allclose(scores, ref, atol=1e-5) == expect_match, name
