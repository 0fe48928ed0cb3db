"""tools/analysis_tools/robustness_report.py on the hand-set classifier: closed-form numbers, md/JSON/plot,
collects on rerun, and evaluates again when the checkpoint or the config behind a name changes."""
import json
import runpy
import sys

import pytest
import torch

from mmpart.evaluation import report

from ..test_engine.hand_set_classifier import expected_accuracy, hand_set_config, make_margin_data, write_checkpoint
from ..test_engine.tiny_classifier import one_thread

EPS = [16, 2]


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('report')
    data_root = make_margin_data(root / 'data')
    config = root / 'hand_set.py'
    hand_set_config(data_root).dump(str(config))
    corrupted = root / 'corrupted.py'
    corrupted.write_text(f'''
test_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNetCOnTheFly', data_root='{data_root}val', classes=['class0', 'class1'],
                 corruptions=['brightness', 'contrast'], pipeline=[
        dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32, edge='short'),
        dict(type='ImageNetCCorrupt'),
        dict(type='PackInputs', meta_keys=('sample_idx', 'corruption', 'severity'))]))
test_evaluator = dict(type='CorruptionAccuracy')
''')
    models = [('hand_set', str(config), write_checkpoint(root / 'hand_set.pth'))]
    return root, models, dict(corrupted=str(corrupted))


def test_report_runs_writes_and_collects(setup, monkeypatch):
    root, models, test_sets = setup
    out = root / 'out'
    results = report.robustness_report(models, str(out), eps=EPS, pgd_steps=2, test_sets=test_sets)
    hand_set = results['hand_set']
    assert list(hand_set) == ['pgd2_eps2', 'pgd2_eps16', 'corrupted']
    # PGD-2 with step 1.25 eps reaches the corner of the ball from any start: the closed-form robust accuracy
    for eps in EPS:
        assert hand_set[f'pgd2_eps{eps}']['accuracy/top1'] == pytest.approx(expected_accuracy(0))
        assert hand_set[f'pgd2_eps{eps}']['accuracy/robust_top1'] == pytest.approx(expected_accuracy(eps))
    assert expected_accuracy(16) < expected_accuracy(2) < expected_accuracy(0)
    assert 'imagenet_c/brightness/s5' in hand_set['corrupted'] and 'imagenet_c/mCE' in hand_set['corrupted']

    table = (out / 'robustness_report.md').read_text()
    assert '| model | clean | pgd2_eps2 | pgd2_eps16 | corrupted mean_accuracy | corrupted mCE |' in table
    row = f'| hand_set | {expected_accuracy(0):.2f} | {expected_accuracy(2):.2f} | {expected_accuracy(16):.2f} |'
    assert row in table
    written = json.loads((out / 'robustness_report.json').read_text())
    assert written['results'] == results
    assert written['threat_models']['pgd2_eps2'] == dict(
        attack='PGD', norm='linf', eps=2.0, eps_01=pytest.approx(2 / 255), eps_255=pytest.approx(2.0), steps=2,
        step_size=2.5, restarts=1, random_start=True, loss='ce', keep='misclassified')
    each = json.loads((out / 'hand_set' / 'pgd2_eps16.json').read_text())
    assert each['threat_model']['eps'] == 16 and set(each['key']) == {'config_sha256', 'checkpoint_sha256'}
    assert (out / 'accuracy_vs_eps.png').stat().st_size > 0

    def no_run(*args, **kwargs):
        raise AssertionError('a rerun must collect, not evaluate')

    monkeypatch.setattr(report, 'run_evaluation', no_run)
    monkeypatch.setattr(sys, 'argv', ['robustness_report.py', str(out), '--model', *models[0], '--eps', '2', '16',
                                      '--pgd-steps', '2', '--test-set', f'corrupted={test_sets["corrupted"]}'])
    runpy.run_path('tools/analysis_tools/robustness_report.py', run_name='__main__')
    assert json.loads((out / 'robustness_report.json').read_text())['results'] == results


def test_a_new_checkpoint_or_config_under_the_same_name_is_evaluated_again(setup, monkeypatch):
    root, models, _ = setup
    name, config, checkpoint = models[0]
    out = str(root / 'stale')
    runs = []
    run_evaluation = report.run_evaluation
    monkeypatch.setattr(report, 'run_evaluation', lambda cfg: runs.append(cfg.load_from) or run_evaluation(cfg))

    first = report.robustness_report(models, out, eps=[2], pgd_steps=2)
    assert len(runs) == 1
    report.robustness_report(models, out, eps=[2], pgd_steps=2)
    assert len(runs) == 1  # same checkpoint and config: collected

    # retrained under the same name: a checkpoint whose logit gap has the opposite sign (accuracy 100 - clean)
    state = torch.load(checkpoint, weights_only=True)
    flipped = root / 'flipped.pth'
    torch.save(dict(state_dict={k: -v if k.startswith('head.') else v for k, v in state['state_dict'].items()},
                    meta={}), flipped)
    second = report.robustness_report([(name, config, str(flipped))], out, eps=[2], pgd_steps=2)
    assert runs == [checkpoint, str(flipped)]
    assert second[name]['pgd2_eps2']['accuracy/top1'] == pytest.approx(100 - expected_accuracy(0))
    assert first[name]['pgd2_eps2']['accuracy/top1'] == pytest.approx(expected_accuracy(0))

    # the same file with another config (here: another test batch size does not change the numbers, but the run)
    report.robustness_report([(name, config, str(flipped))], out, eps=[2], pgd_steps=2,
                             cfg_options={'test_dataloader.batch_size': 4})
    assert len(runs) == 3
