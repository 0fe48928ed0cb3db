"""tools/test.py --attack on a hand-set classifier: one process vs tools/dist_test.sh with two (an odd number of
samples, so the sampler pads), threat model, bad input, EMA checkpoints."""
import glob
import json
import os
import pickle
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ..ports import free_port
from ..test_engine.hand_set_classifier import expected_accuracy, hand_set_config, make_margin_data, write_checkpoint
from ..test_engine.tiny_classifier import TINY_CONFIG, load_tiny, make_tiny_data, one_thread, train_tiny, val_batch

REPO = Path(__file__).parents[2]
# 3 steps of 2/255 from the clean image reach the corner of the 4/255 ball
ATTACK_ARGS = ['--attack', 'pgd', '--eps', '4', '--steps', '3', '--step-size', '2',
               '--attack-cfg', 'random_start=False']
# 13 samples: two processes get 7 each, the first sample twice; it must be counted once
DROP = 1
NUM_SAMPLES = 13


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def hand_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('test_attack')
    data_root = make_margin_data(root / 'data', drop=DROP)
    config = root / 'hand_set.py'
    hand_set_config(data_root).dump(str(config))
    return root, str(config), write_checkpoint(root / 'hand_set.pth')


def run_test(root: Path, config: str, ckpt: str, name: str, *cmd_prefix: str, args=ATTACK_ARGS):
    # no GPU even where there is one: two processes on a 1-GPU machine would ask for cuda:1
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=str(free_port()), CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    work_dir = root / name
    nproc = [] if cmd_prefix[0] == sys.executable else ['2']
    proc = subprocess.run([*cmd_prefix, config, ckpt, *nproc, *args, '--work-dir', str(work_dir), '--out',
                           str(work_dir / 'preds.pkl')], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = glob.glob(str(work_dir / '*' / 'robustness.json'))
    with open(work_dir / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    return (json.loads(Path(summaries[0]).read_text()) if summaries else None), preds, proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def single(hand_set):
    return run_test(*hand_set, 'single', sys.executable, 'tools/test.py',
                    args=[*ATTACK_ARGS, '--cfg-options', 'log_level=INFO'])


def test_single_process_reports_clean_and_robust(single):
    summary, preds, log = single
    assert summary['attack'] == dict(type='PGD', eps=4.0, steps=3, step_size=2.0, random_start=False,
                                     keep='misclassified')
    assert summary['threat_model'] == dict(
        attack='PGD', norm='linf', eps=4.0, eps_01=pytest.approx(4 / 255), eps_255=pytest.approx(4.0), steps=3,
        step_size=2.0, restarts=1, random_start=False, loss='ce', keep='misclassified')
    # the threat model heads the evaluation's output
    assert log.index('threat model: PGD, L∞ ε = 4/255 (0.015686 in [0, 1]), steps=3') < log.index('Epoch(test)')
    assert summary['num_samples'] == len(preds) == NUM_SAMPLES
    metrics = summary['metrics']
    assert metrics['accuracy/top1'] == pytest.approx(expected_accuracy(0, DROP))
    assert metrics['accuracy/robust_top1'] == pytest.approx(expected_accuracy(4, DROP))
    robust = sum(bool(p['pred_label'] == p['gt_label']) and bool(p['adv_pred_label'] == p['gt_label']) for p in preds)
    assert metrics['accuracy/robust_top1'] == pytest.approx(100 * robust / NUM_SAMPLES)


def test_dist_test_two_processes_match_one(hand_set, single):
    summary, preds, _ = run_test(*hand_set, 'dist', 'bash', 'tools/dist_test.sh')
    assert summary == single[0] and len(preds) == NUM_SAMPLES  # the padded duplicate is not counted
    assert [p['gt_label'].item() for p in preds] == [p['gt_label'].item() for p in single[1]]
    for p, q in zip(preds, single[1]):
        assert p['adv_pred_label'] == q['adv_pred_label']
        torch.testing.assert_close(p['adv_pred_score'], q['adv_pred_score'], atol=1e-4, rtol=0)


def test_evaluates_ema_weights(tmp_path, monkeypatch):
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

    run_in_process(monkeypatch, TINY_CONFIG, ckpt, '--work-dir', str(tmp_path / 'ema'), '--out',
                   str(tmp_path / 'preds.pkl'), '--cfg-options', f'test_dataloader.dataset.data_root={data_root}')
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    scores = torch.stack([p['pred_score'] for p in preds])
    batch = val_batch(data_root)
    for name, expect_match in (('ema', True), ('raw', False)):
        with torch.no_grad():
            ref = torch.stack([r.pred_score for r in load_tiny(weights[name]).val_step(batch)])
        assert torch.allclose(scores, ref, atol=1e-5) == expect_match, name


def run_in_process(monkeypatch, *argv: str) -> None:
    """``tools/test.py ARGV`` in this process (no start-up cost; exceptions surface as they are)."""
    monkeypatch.setattr(sys, 'argv', ['tools/test.py', *argv])
    runpy.run_path(str(REPO / 'tools' / 'test.py'), run_name='__main__')


def test_autoattack_on_too_few_classes_says_so(hand_set, monkeypatch, tmp_path):
    _, config, ckpt = hand_set  # 2 classes: the reference code dies with an IndexError in APGD-T
    with pytest.raises(ValueError, match=r'apgd-t \(DLR loss\) needs a model with at least 4 classes, this one has 2'):
        run_in_process(monkeypatch, config, ckpt, '--attack', 'autoattack', '--work-dir', str(tmp_path))


def test_model_without_normalisation_says_what_is_missing(hand_set, monkeypatch, tmp_path):
    _, config, ckpt = hand_set
    with pytest.raises(ValueError, match=r'has no mean/std: set model.data_preprocessor.mean and .std'):
        run_in_process(monkeypatch, config, ckpt, '--attack', 'pgd', '--work-dir', str(tmp_path), '--cfg-options',
                       'model.data_preprocessor.mean=None', 'model.data_preprocessor.std=None')


def test_worst_case_over_an_attack_list(hand_set, monkeypatch, tmp_path):
    _, config, ckpt = hand_set
    run_in_process(monkeypatch, config, ckpt, '--attack', 'fgsm,pgd', '--eps', '4', '--steps', '3', '--step-size',
                   '2', '--attack-cfg', 'random_start=False', '--work-dir', str(tmp_path), '--cfg-options',
                   'log_level=INFO')
    summary = json.loads(next(tmp_path.glob('*/robustness.json')).read_text())
    assert summary['attack'] == dict(type='MultiAttack', names=['fgsm', 'pgd'], individual=False, attacks=[
        dict(type='FGSM', eps=4.0), dict(type='PGD', eps=4.0, steps=3, step_size=2.0, random_start=False)])
    metrics = summary['metrics']
    # FGSM's one step of 4/255 and PGD both reach the corner of the linear model's ball
    assert metrics['accuracy/robust_top1'] == metrics['accuracy/robust_top1_after_fgsm'] == \
        metrics['accuracy/robust_top1_after_pgd'] == pytest.approx(expected_accuracy(4, DROP))
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'per attack (%)' in log and '| robust_top1_after_pgd |' in log and '| robust <= clean | ok |' in log
    clean, robust = expected_accuracy(0, DROP), expected_accuracy(4, DROP)
    assert 'clean vs robust accuracy (%) under MultiAttack' in log  # the threat model above the table, not in it
    assert f'| metric | clean | robust |\n|---|---|---|\n| accuracy/top1 | {clean:.2f} | {robust:.2f} |\n' in log
    with pytest.raises(SystemExit):
        run_in_process(monkeypatch, config, ckpt, '--attack', 'pgd,deepfool', '--work-dir', str(tmp_path))
