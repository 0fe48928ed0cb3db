"""AutoAttack: the standard settings are what runs (so a package update cannot silently weaken it)."""
import pytest
import torch
import torch.nn as nn
from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted
from pyautoattack.fab_pt import FABAttack_PT
from pyautoattack.square import SquareAttack

from mmpart.attacks import AutoAttack
from mmpart.attacks import autoattack as autoattack_module
from mmpart.registry import ATTACKS


def small_net(num_classes: int):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                        nn.Linear(32, num_classes)).eval()
    return lambda x: net((x - 0.5) / 0.25)


@pytest.fixture(scope='module')
def logits_fn():
    return small_net(10)  # a 10-class model: APGD-T and FAB-T have 9 wrong classes to target


def correctly_classified(logits_fn, n=4):
    torch.manual_seed(1)
    images = torch.rand(n, 3, 8, 8)
    with torch.no_grad():
        return images, logits_fn(images).argmax(1)


def test_standard_settings_of_the_built_attack(logits_fn):
    adversary = ATTACKS.build(dict(type='AutoAttack', eps=4)).build(logits_fn, torch.device('cpu'))
    assert adversary.version == 'standard' and adversary.norm == 'Linf'
    assert adversary.attacks_to_run == ['apgd-ce', 'apgd-t', 'fab-t', 'square']
    apgd, apgd_t, fab, square = adversary.apgd, adversary.apgd_targeted, adversary.fab, adversary.square
    assert (apgd.n_iter, apgd.n_restarts, apgd.eps) == (100, 1, pytest.approx(4 / 255))
    assert (apgd_t.n_iter, apgd_t.n_restarts, apgd_t.n_target_classes) == (100, 1, 9)
    assert (fab.n_iter, fab.n_target_classes) == (100, 9)
    assert square.n_queries == 5000 and square.n_restarts == 1
    assert all(a.eps == pytest.approx(4 / 255) for a in (apgd, apgd_t, fab, square))
    l2 = AutoAttack(eps=2.0, norm='l2', seed=5).build(logits_fn, 'cpu')
    assert (l2.norm, l2.apgd.eps, l2.seed, l2.apgd.seed, l2.device) == ('L2', 2.0, 5, 5, 'cpu')


def test_standard_run_calls_each_attack_with_the_standard_settings(logits_fn, monkeypatch):
    calls = []

    def recorder(name, settings):
        def perturb(self, x, y, *args, **kwargs):
            calls.append((name, *(getattr(self, s) for s in settings)))
            return x.clone()  # nothing broken: every attack runs on every sample
        return perturb

    monkeypatch.setattr(APGDAttack, 'perturb', recorder('apgd', ['loss', 'n_iter', 'n_restarts', 'eps']))
    monkeypatch.setattr(APGDAttack_targeted, 'perturb',
                        recorder('apgd-t', ['loss', 'n_iter', 'n_restarts', 'n_target_classes']))
    monkeypatch.setattr(FABAttack_PT, 'perturb',
                        recorder('fab', ['targeted', 'n_iter', 'n_restarts', 'n_target_classes']))
    monkeypatch.setattr(SquareAttack, 'perturb', recorder('square', ['n_queries', 'n_restarts', 'p_init']))
    images, labels = correctly_classified(logits_fn)
    adv = AutoAttack(eps=4)(logits_fn, images, labels)
    assert torch.equal(adv, images)
    assert calls == [('apgd', 'ce', 100, 1, pytest.approx(4 / 255)), ('apgd-t', 'dlr-targeted', 100, 1, 9),
                     ('fab', True, 100, 1, 9), ('square', 5000, 1, 0.8)]


def test_standard_run_breaks_an_undefended_model(logits_fn):
    images, labels = correctly_classified(logits_fn)
    state = torch.get_rng_state()
    adv = AutoAttack(eps=64)(logits_fn, images, labels)
    assert torch.equal(torch.get_rng_state(), state)
    assert (adv - images).abs().max() <= 64 / 255 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
    with torch.no_grad():
        assert (logits_fn(adv).argmax(1) != labels).all()


def test_fewer_than_10_classes_use_c_minus_1_targets(monkeypatch):
    logged = []
    monkeypatch.setattr(autoattack_module, 'print_log', lambda msg, **kwargs: logged.append(msg))
    logits_fn = small_net(6)
    images, labels = correctly_classified(logits_fn, n=2)
    attack = AutoAttack(eps=0.5, version='custom', attacks=['apgd-t'])
    assert attack.threat_model()['n_target_classes'] == dict(apgd_t=9, fab_t=9)
    adv = attack(logits_fn, images, labels)  # the reference code alone: IndexError (the 10th-highest of 6 logits)
    assert adv.shape == images.shape and len(logged) == 1  # said at the first batch
    assert attack.threat_model()['n_target_classes'] == dict(apgd_t=5, fab_t=5)
    attack(logits_fn, images, labels)  # said once, not per batch
    assert logged == ["AutoAttack (custom): the model has 6 classes, so the targeted attacks use {'apgd_t': 5, "
                      "'fab_t': 5} target classes instead of {'apgd_t': 9, 'fab_t': 9}"]
    AutoAttack(eps=0.5, version='custom', attacks=['apgd-t'])(small_net(10), *correctly_classified(small_net(10), 1))
    assert len(logged) == 1  # 10 classes: nothing to say


def test_too_few_classes_for_targeted_dlr_is_refused():
    logits_fn = small_net(3)
    images, labels = correctly_classified(logits_fn)
    with pytest.raises(ValueError, match=r'AutoAttack \(standard\): apgd-t \(DLR loss\) needs a model with at least 4 '
                                         r'classes, this one has 3'):
        AutoAttack()(logits_fn, images, labels)


def test_defaults_per_norm_and_threat_model():
    for norm, eps01 in (('linf', 4 / 255), ('l2', 2.0), ('l1', 75.0)):
        model = AutoAttack(norm=norm).threat_model()
        assert model['eps_01'] == pytest.approx(eps01) and model['norm'] == norm
        assert model['attacks'] == ['apgd-ce', 'apgd-t', 'fab-t', 'square'] and model['square_queries'] == 5000
    assert AutoAttack().threat_model()['steps'] == 100
    with pytest.raises(ValueError, match='norm'):
        AutoAttack(norm='l3')
