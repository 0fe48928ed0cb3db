"""Gradient-masking checks: each passes on the hand-set linear model and fires on a model (or attack) built to trip
it; the rules on hand-built records."""
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmpart.attacks import PGD, MultiAttack, Square
from mmpart.engine.loops import adversarial_predictions
from mmpart.evaluation.masking_checks import checks_table, effort_checks, evaluation_checks, failed, sweep_checks
from mmpart.evaluation.metrics import RobustAccuracy
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

from ..test_engine.hand_set_classifier import build_hand_set_model, hand_set_config, make_margin_data
from ..test_engine.tiny_classifier import one_thread

QUANTISED = dict(type='PixelQuantisedConv2d', in_channels=3, out_channels=1, kernel_size=1)
RANDOM_GATE = dict(type='RandomGateConv2d', in_channels=3, out_channels=1, kernel_size=1)


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_margin_data(tmp_path_factory.mktemp('masking'))


def records(model, data_root, attack) -> list:
    """Per-sample records of one evaluation with the masking observations (a fresh batch: predict fills it)."""
    register_all_modules()
    dataset = DATASETS.build(hand_set_config(data_root).test_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    torch.manual_seed(0)
    metric = RobustAccuracy()
    metric.process(batch, [s.to_dict() for s in adversarial_predictions(model, batch, attack, checks=True)])
    return metric.results


def flagged(checks) -> set:
    return {c['check'] for c in failed(checks)}


def pgd_and_square(eps=8):
    return MultiAttack([PGD(eps=eps, steps=10, step_size=eps / 4, random_start=False), Square(eps=eps, n_queries=200)],
                       names=['pgd', 'square'])


def test_linear_model_passes_every_check(data_root):
    checks = evaluation_checks(records(build_hand_set_model(), data_root, pgd_and_square()), black_box=['square'])
    assert [c['check'] for c in checks] == ['robust <= clean', 'no zero gradients', 'deterministic or EoT',
                                            'black-box not stronger']
    assert flagged(checks) == set()


def test_input_quantisation_trips_the_gradient_checks(data_root):
    # round() has a zero gradient: PGD cannot move, Square (logits only) breaks what is within reach
    checks = evaluation_checks(records(build_hand_set_model(backbone=QUANTISED), data_root, pgd_and_square()),
                               black_box=['square'])
    assert flagged(checks) == {'no zero gradients', 'black-box not stronger'}
    detail = {c['check']: c['detail'] for c in checks}
    assert detail['no zero gradients'].startswith('14 of 14 samples have an all-zero input gradient')
    assert 'square: 42.86 points' in detail['black-box not stronger']  # 6 of the 12 correct samples are within 8/255
    table = checks_table(checks)
    assert '| no zero gradients | FLAGGED |' in table and '| robust <= clean | ok |' in table


def test_individual_mode_compares_own_numbers(data_root):
    attack = pgd_and_square()
    attack.individual = True
    model = build_hand_set_model(backbone=QUANTISED)
    checks = evaluation_checks(records(model, data_root, attack), black_box=['square'])
    square = next(c for c in checks if c['check'] == 'black-box not stronger')
    assert not square['passed'] and 'white-box best 85.71%, square 42.86%' in square['detail']


def test_randomness_without_eot_is_flagged(data_root):
    model = build_hand_set_model(backbone=RANDOM_GATE)
    attack = PGD(eps=4, steps=2, step_size=2, random_start=False)
    assert 'deterministic or EoT' in flagged(evaluation_checks(records(model, data_root, attack), eot_iter=1))
    assert 'deterministic or EoT' not in flagged(evaluation_checks(records(model, data_root, attack), eot_iter=20))


def test_an_attack_that_helps_the_model_is_flagged(data_root):
    # a negative step descends the loss: the two misclassified samples (20.5/255 from the boundary) end up right
    # (keep='last': under the evaluation rule their misclassified start point would be kept)
    helping = PGD(eps=32, steps=4, step_size=-8, random_start=False, keep='last')
    checks = evaluation_checks(records(build_hand_set_model(), data_root, helping))
    assert flagged(checks) == {'robust <= clean'}
    assert 'accuracy at the attacked points 100.00% vs clean 85.71%' in checks[0]['detail']


def record(clean, adv, **attacks):
    return dict(index=0, clean=[clean], adv=[adv], attacks={k: [v] for k, v in attacks.items()})


def test_black_box_rule_on_hand_built_records():
    # cascade: square after pgd breaks 1 of 4 samples pgd left (25 points); within tolerance when it breaks nothing
    cascade = [record(True, False, after_pgd=True, after_square=False),
               *[record(True, True, after_pgd=True, after_square=True)] * 3]
    assert flagged(evaluation_checks(cascade, black_box=['square'])) == {'black-box not stronger'}
    quiet = [record(True, True, after_pgd=True, after_square=True)] * 4
    assert flagged(evaluation_checks(quiet, black_box=['square'])) == set()
    # a check needs both kinds of attack
    assert [c['check'] for c in evaluation_checks(cascade, black_box=[])] == ['robust <= clean']


def test_sweep_and_effort_rules():
    assert flagged(sweep_checks([1, 2, 4], 80.0, [60.0, 40.0, 20.0], 64, 0.0)) == set()
    rising = sweep_checks([1, 2, 4], 80.0, [60.0, 61.0, 20.0], 64, 0.0)
    assert flagged(rising) == {'robust falls with eps'}
    assert 'rises from 60.00% at 1 to 61.00% at 2' in rising[0]['detail']
    assert flagged(sweep_checks([1], 80.0, [60.0], 64, 0.5)) == set()  # within LARGE_EPS_MAX_ACCURACY (1%)
    assert flagged(sweep_checks([1], 80.0, [60.0], 64, 35.0)) == {'~0 at large eps'}
    assert flagged(sweep_checks([1], 80.0, [60.1], tolerance=0.2)) == set()
    assert flagged(effort_checks(40.0, 40.1, 'more')) == set()
    assert flagged(effort_checks(40.0, 45.0, 'more')) == {'more effort does not raise it'}
    assert flagged(effort_checks(40.0, 30.0, 'more')) == {'more effort does not help'}
