"""tools/analysis_tools/robustness_report.py on the hand-set classifier: closed-form numbers, md/JSON/plot,
gradient-masking checks (all pass on the linear model, flagged on an input-quantised one), collects on rerun, and
evaluates again when the checkpoint or the config behind a name changes."""
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
    quantised = root / 'quantised.py'
    cfg = hand_set_config(data_root)
    cfg.model.backbone.type = 'PixelQuantisedConv2d'
    cfg.dump(str(quantised))
    models.append(('quantised', str(quantised), models[0][2]))
    return root, models, dict(corrupted=str(corrupted))


def test_report_runs_writes_and_collects(setup, monkeypatch):
    root, models, test_sets = setup
    out = root / 'out'
    results = report.robustness_report(models[:1], str(out), eps=EPS, pgd_steps=2, test_sets=test_sets)
    hand_set = results['hand_set']
    # the sweep, the masking checks' PGD at a large eps and PGD with 2x steps and 2 restarts at the middle eps
    assert list(hand_set) == ['pgd2_eps2', 'pgd2_eps16', 'pgd2_eps64', 'pgd4_r2_eps16', 'corrupted']
    # PGD-2 with step 1.25 eps reaches the corner of the ball from any start: the closed-form robust accuracy
    for name, eps in (('pgd2_eps2', 2), ('pgd2_eps16', 16), ('pgd2_eps64', 64), ('pgd4_r2_eps16', 16)):
        assert hand_set[name]['accuracy/top1'] == pytest.approx(expected_accuracy(0))
        assert hand_set[name]['accuracy/robust_top1'] == pytest.approx(expected_accuracy(eps))
    assert expected_accuracy(64) == 0 < expected_accuracy(16) < expected_accuracy(2) < expected_accuracy(0)
    assert 'imagenet_c/brightness/s5' in hand_set['corrupted'] and 'imagenet_c/mCE' in hand_set['corrupted']

    table = (out / 'robustness_report.md').read_text()
    assert ('| model | clean | pgd2_eps2 | pgd2_eps16 | pgd2_eps64 | pgd4_r2_eps16 | corrupted mean_accuracy | '
            'corrupted mCE | masking checks |') in table
    row = f'| hand_set | {expected_accuracy(0):.2f} | {expected_accuracy(2):.2f} | {expected_accuracy(16):.2f} |'
    assert row in table and table.count('| ok |') >= 6 and 'FLAGGED' not in table
    written = json.loads((out / 'robustness_report.json').read_text())
    assert written['results'] == results
    checks = {c['check'] for c in written['masking_checks']['hand_set']}
    assert {'robust falls with eps', '~0 at large eps', 'more effort does not raise it', 'more effort does not help',
            'pgd2_eps2: no zero gradients', 'pgd2_eps2: deterministic or EoT'} <= checks
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
    assert json.loads((out / 'robustness_report.json').read_text()) == written


def test_input_quantisation_is_flagged(setup):
    # round() masks the gradient: PGD moves nothing at any eps, Square (logits only) breaks what is within reach
    root, models, _ = setup
    out = root / 'quantised'
    results = report.robustness_report(models[1:], str(out), eps=[4], pgd_steps=2, square_queries=100)
    quantised = results['quantised']
    # only the random start moves the mean red value (by chance, rounded): far from 0 at eps 64
    assert quantised['pgd2_eps64']['accuracy/robust_top1'] > 50 > expected_accuracy(64)
    worst_case = quantised['pgd2+square100_eps4']
    assert worst_case['accuracy/robust_top1_after_pgd'] > worst_case['accuracy/robust_top1_after_square']
    assert worst_case['accuracy/robust_top1'] == pytest.approx(expected_accuracy(4))
    written = json.loads((out / 'robustness_report.json').read_text())
    flagged = {c['check'] for c in written['masking_checks']['quantised'] if not c['passed']}
    assert flagged == {'~0 at large eps', 'pgd2_eps4: no zero gradients', 'pgd2_eps64: no zero gradients',
                       'pgd4_r2_eps4: no zero gradients', 'pgd2+square100_eps4: no zero gradients',
                       'pgd2+square100_eps4: black-box not stronger'}
    text = (out / 'robustness_report.md').read_text()
    assert '| quantised |' in text and 'FLAGGED (6)' in text and '| ~0 at large eps | FLAGGED |' in text
    assert '### pgd2+square100_eps4: per attack (%)' in text
    assert '| model | after pgd | after square | worst case |' in text


def test_a_new_checkpoint_or_config_under_the_same_name_is_evaluated_again(setup, monkeypatch):
    root, models, _ = setup
    name, config, checkpoint = models[0]
    out = str(root / 'stale')
    runs = []
    run_evaluation = report.run_evaluation
    monkeypatch.setattr(report, 'run_evaluation', lambda cfg: runs.append(cfg.load_from) or run_evaluation(cfg))

    models, checks = models[:1], dict(large_eps=None, effort=False)  # one evaluation per report
    first = report.robustness_report(models, out, eps=[2], pgd_steps=2, **checks)
    assert len(runs) == 1
    report.robustness_report(models, out, eps=[2], pgd_steps=2, **checks)
    assert len(runs) == 1  # same checkpoint and config: collected

    # retrained under the same name: a checkpoint whose logit gap has the opposite sign (accuracy 100 - clean)
    state = torch.load(checkpoint, weights_only=True)
    flipped = root / 'flipped.pth'
    torch.save(dict(state_dict={k: -v if k.startswith('head.') else v for k, v in state['state_dict'].items()},
                    meta={}), flipped)
    second = report.robustness_report([(name, config, str(flipped))], out, eps=[2], pgd_steps=2, **checks)
    assert runs == [checkpoint, str(flipped)]
    assert second[name]['pgd2_eps2']['accuracy/top1'] == pytest.approx(100 - expected_accuracy(0))
    assert first[name]['pgd2_eps2']['accuracy/top1'] == pytest.approx(expected_accuracy(0))

    # the same file with another config (here: another test batch size does not change the numbers, but the run)
    report.robustness_report([(name, config, str(flipped))], out, eps=[2], pgd_steps=2,
                             cfg_options={'test_dataloader.batch_size': 4}, **checks)
    assert len(runs) == 3
