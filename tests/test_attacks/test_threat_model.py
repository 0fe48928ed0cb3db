"""Threat models: what every attack reports about itself, and the line logs print."""
import pytest
import torch

from mmpart.attacks import APGD, CW, FGSM, PGD, AutoAttack, describe_threat_model
from mmpart.attacks.losses import margin
from mmpart.attacks.threat_model import eps_unit, resolve_eps, threat_model


def test_threat_model_of_each_attack():
    assert PGD(eps=8, steps=5, step_size=2, restarts=3, random_start=False, loss='margin', keep='loss').threat_model() \
        == dict(attack='PGD', norm='linf', eps=8.0, eps_01=pytest.approx(8 / 255), eps_255=pytest.approx(8.0),
                steps=5, step_size=2, restarts=3, random_start=False, loss='margin', keep='loss')
    assert FGSM(norm='l2').threat_model() == dict(
        attack='FGSM', norm='l2', eps=2.0, eps_01=2.0, eps_255=510.0, steps=1, step_size=2.0, restarts=1,
        random_start=False, loss='ce', keep='misclassified')
    assert CW().threat_model() == dict(attack='CW', norm='linf', eps=4.0, eps_01=pytest.approx(4 / 255),
                                       eps_255=pytest.approx(4.0), steps=10, step_size=1.0, restarts=1,
                                       random_start=True, loss='margin', keep='misclassified')
    assert APGD(eps=0.5, norm='l2', steps=7, restarts=2, rho=0.5, seed=3).threat_model() == dict(
        attack='APGD', norm='l2', eps=0.5, eps_01=0.5, eps_255=127.5, steps=7, restarts=2, loss='ce', rho=0.5,
        seed=3, keep='misclassified')
    assert APGD(loss='dlr-targeted', n_target_classes=4).threat_model()['n_target_classes'] == 4
    assert AutoAttack(eps=8, seed=5).threat_model() == dict(
        attack='AutoAttack', norm='linf', eps=8.0, eps_01=pytest.approx(8 / 255), eps_255=pytest.approx(8.0),
        version='standard', attacks=['apgd-ce', 'apgd-t', 'fab-t', 'square'], steps=100, restarts=1,
        n_target_classes=dict(apgd_t=9, fab_t=9), square_queries=5000, seed=5, keep='misclassified')
    custom = AutoAttack(version='custom', attacks=['square']).threat_model()
    assert custom['attacks'] == ['square'] and 'steps' not in custom and 'n_target_classes' not in custom
    assert AutoAttack(version='custom', attacks=['apgd-dlr']).threat_model()['steps'] == 100
    assert 'n_target_classes' in AutoAttack(version='custom', attacks=['fab-t']).threat_model()
    assert AutoAttack().threat_model()['seed'] == 0


def test_described_in_both_units():
    assert describe_threat_model(PGD(steps=10).threat_model()) == (
        'PGD, L∞ ε = 4/255 (0.015686 in [0, 1]), steps=10, step_size=1.0, restarts=1, random_start=True, loss=ce, '
        'keep=misclassified')
    assert describe_threat_model(threat_model('X', 'l2', 0.5)) == 'X, L2 ε = 0.5 in [0, 1] (127.5 in [0, 255])'
    assert describe_threat_model(threat_model('Y', 'l1', 75.0, seed=1)) == (
        'Y, L1 ε = 75 in [0, 1] (19125 in [0, 255]), seed=1')


def test_units_and_defaults():
    assert eps_unit('linf') == 1 / 255 and eps_unit('l2') == eps_unit('l1') == 1.0
    assert resolve_eps(None, 'l1') == 75.0 and resolve_eps(3, 'l2') == 3.0 and resolve_eps(0, 'linf') == 0.0
    with pytest.raises(ValueError, match='eps must be >= 0, got -1'):
        resolve_eps(-1, 'linf')
    with pytest.raises(ValueError, match=r"norm must be one of \['linf', 'l2', 'l1'\], got 'l3'"):
        eps_unit('l3')


def test_margin_loss_per_sample():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    torch.testing.assert_close(margin(logits, torch.tensor([0, 2])), torch.tensor([-1.0, 6.0]))
    assert margin(logits.half(), torch.tensor([0, 2])).dtype == torch.float32


def test_default_run_returns_the_logits_of_the_returned_images():
    torch.manual_seed(0)
    weights = torch.randn(12, 3)

    def logits_fn(x):
        return (x - 0.5).flatten(1) @ weights

    images = torch.rand(4, 3, 2, 2)
    labels = logits_fn(images).argmax(1)
    labels[0] = (labels[0] + 1) % 3  # misclassified from the start: comes back clean (attacked for its prediction)
    result = APGD(eps=64, steps=3).run(logits_fn, images, labels)  # BaseAttack.run: attack, then one forward
    torch.testing.assert_close(result.logits, logits_fn(result.images))
    assert torch.equal(result.images, APGD(eps=64, steps=3)(logits_fn, images, labels))
    assert torch.equal(result.images[0], images[0]) and (result.images[1:] != images[1:]).flatten(1).any(1).all()


def test_dlr_class_limits():
    from mmpart.attacks.autoattack_utils import check_num_classes
    check_num_classes(4, ['apgd-t', 'apgd-dlr'], 'x')
    check_num_classes(3, ['apgd-dlr', 'fab-t'], 'x')
    check_num_classes(2, ['apgd-ce', 'fab-t', 'square'], 'x')
    with pytest.raises(ValueError, match=r'^x: apgd-dlr \(DLR loss\) needs a model with at least 3 classes, this one '
                                         r'has 2'):
        check_num_classes(2, ['apgd-dlr'], 'x')
