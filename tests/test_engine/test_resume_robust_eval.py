"""A robust evaluation killed after some batches and run again ends with the results of an uninterrupted run, and
attacks only the samples it had not done; per-sample results for analysis (``--out results.json``)."""
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from mmpart.attacks import PGD

from .hand_set_classifier import NUM_SAMPLES, expected_accuracy, hand_set_config, make_margin_data, write_checkpoint

REPO = Path(__file__).parents[2]
# one random-start step: which samples break depends on the random start, so resuming must reproduce it
ATTACK = ['--attack', 'pgd', '--eps', '4', '--steps', '1', '--step-size', '1', '--cfg-options',
          'test_dataloader.batch_size=4']
KILL_AFTER = 2  # of 4 batches


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    config = root / 'hand_set.py'
    hand_set_config(make_margin_data(root / 'data')).dump(str(config))
    return root, str(config), write_checkpoint(root / 'hand_set.pth')


def run_in_process(monkeypatch, *argv: str) -> None:
    monkeypatch.setattr(sys, 'argv', ['tools/test.py', *argv])
    runpy.run_path(str(REPO / 'tools' / 'test.py'), run_name='__main__')


def outputs(work_dir: Path) -> tuple:
    """The latest run's summary and per-sample records."""
    latest = sorted(p.parent for p in work_dir.glob('*/robustness.json'))[-1]
    return json.loads((latest / 'robustness.json').read_text()), json.loads((latest / 'per_sample.json').read_text())


@pytest.fixture(scope='module')
def uninterrupted(setup):
    root, config, ckpt = setup
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_in_process(monkeypatch, config, ckpt, *ATTACK, '--work-dir', str(root / 'whole'), '--out',
                       str(root / 'whole_results.json'))
    return outputs(root / 'whole')


def test_killed_and_resumed_equals_uninterrupted(setup, uninterrupted, monkeypatch):
    root, config, ckpt = setup
    work_dir = root / 'killed'
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name('kill_after_records.py')), str(KILL_AFTER),
                           'tools/test.py', config, ckpt, *ATTACK, '--work-dir', str(work_dir)], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr[-2000:]
    saved = list(work_dir.glob('robust_eval/*/rank0.json'))
    assert len(saved) == 1 and len(json.loads(saved[0].read_text())['records']) == 8
    assert not list(work_dir.glob('*/robustness.json'))

    attacked = []
    run = PGD.run
    monkeypatch.setattr(PGD, 'run', lambda self, fn, images, labels: attacked.append(len(images)) or run(
        self, fn, images, labels))
    # INFO: the hand-set config logs warnings only (the results' key ignores the log level)
    run_in_process(monkeypatch, config, ckpt, *ATTACK, 'log_level=INFO', '--work-dir', str(work_dir))
    assert attacked == [4, 2]  # the two batches the killed run had not done
    summary, per_sample = outputs(work_dir)
    assert summary == uninterrupted[0] and per_sample == uninterrupted[1]
    latest = sorted(work_dir.glob('*/*.log'))[-1].read_text()
    assert 'resuming from' in latest and '8 samples done are not attacked again' in latest


def test_per_sample_results(setup, uninterrupted):
    root, _, _ = setup
    summary, per_sample = uninterrupted
    assert json.loads((root / 'whole_results.json').read_text()) == per_sample  # --out results.json
    samples = per_sample['samples']
    assert [s['index'] for s in samples] == list(range(NUM_SAMPLES)) and per_sample['topk'] == [1]
    assert 100 * sum(s['clean'][0] for s in samples) / NUM_SAMPLES == pytest.approx(expected_accuracy(0))
    robust = 100 * sum(s['clean'][0] and s['adv'][0] for s in samples) / NUM_SAMPLES
    assert robust == pytest.approx(summary['metrics']['accuracy/robust_top1'])
    assert all(set(s['checks']) == {'zero_gradient', 'varying_logits'} for s in samples)
    assert [c['check'] for c in summary['masking_checks']] == ['robust <= clean', 'no zero gradients',
                                                               'deterministic or EoT']
    assert all(c['passed'] for c in summary['masking_checks'])


def test_no_resume_starts_over(setup, uninterrupted, monkeypatch):
    root, config, ckpt = setup
    attacked = []
    run = PGD.run
    monkeypatch.setattr(PGD, 'run', lambda self, fn, images, labels: attacked.append(len(images)) or run(
        self, fn, images, labels))
    run_in_process(monkeypatch, config, ckpt, *ATTACK, '--work-dir', str(root / 'whole'), '--no-resume')
    assert attacked == [4, 4, 4, 2]
    run_in_process(monkeypatch, config, ckpt, *ATTACK, '--work-dir', str(root / 'whole'))
    assert attacked == [4, 4, 4, 2]  # the first run's records: nothing left to attack
    assert outputs(root / 'whole') == uninterrupted
