"""APGD wrapper: ε-ball and [0, 1] with the normalisation inside the model, success, settings, RNG."""
import pytest
import torch
from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted

from mmpart.attacks import APGD, pixel_space_logits
from mmpart.registry import ATTACKS


@pytest.fixture
def batch(classifier, images):
    with torch.no_grad():  # correctly classified: APGD only attacks those
        labels = pixel_space_logits(classifier)(images).argmax(1)
    return images, labels


# large radii: a random model is hard to fool, and APGD returns only successful perturbations
@pytest.mark.parametrize('norm,eps', [('linf', 24.0), ('l2', 2.0), ('l1', 60.0)])
@pytest.mark.parametrize('loss', ['ce', 'dlr-targeted'])
def test_apgd_stays_in_eps_ball_and_unit_range(classifier, batch, norm, eps, loss):
    images, labels = batch
    attack = APGD(eps=eps, steps=5, norm=norm, loss=loss, n_target_classes=2)
    adv = attack(pixel_space_logits(classifier), images, labels)
    assert adv.shape == images.shape and adv.min() >= 0 and adv.max() <= 1
    delta = (adv - images).flatten(1)
    bound = dict(linf=delta.abs().amax(1) * 255, l2=delta.norm(dim=1), l1=delta.abs().sum(1))[norm]
    assert (bound <= eps * (1 + 1e-4)).all()
    assert delta.abs().sum() > 0


def test_apgd_breaks_an_undefended_model(classifier, batch):
    images, labels = batch
    logits_fn = pixel_space_logits(classifier)
    adv = APGD(eps=64, steps=20)(logits_fn, images, labels)
    with torch.no_grad():
        assert (logits_fn(adv).argmax(1) != labels).all()


def test_apgd_settings_and_caller_rng(classifier):
    attack = ATTACKS.build(dict(type='APGD', eps=4, steps=100, restarts=2, loss='dlr'))
    inner = attack.build(pixel_space_logits(classifier), torch.device('cpu'))
    assert type(inner) is APGDAttack
    assert (inner.n_iter, inner.n_restarts, inner.loss, inner.norm) == (100, 2, 'dlr', 'Linf')
    assert inner.eps == pytest.approx(4 / 255)
    targeted = APGD(eps=0.5, norm='l2', loss='dlr-targeted').build(pixel_space_logits(classifier), 'cpu')
    assert type(targeted) is APGDAttack_targeted and targeted.n_target_classes == 9 and targeted.eps == 0.5

    torch.manual_seed(123)
    images = torch.rand(2, 3, 16, 16)
    state = torch.get_rng_state()
    for keep in ('misclassified', 'loss'):
        APGD(eps=4, steps=2, keep=keep)(pixel_space_logits(classifier), images, torch.tensor([0, 1]))
        assert torch.equal(torch.get_rng_state(), state)  # APGD's reseeding does not leak out


@pytest.mark.parametrize('keep,best_loss', [('misclassified', False), ('loss', True)])
def test_keep_selects_the_reference_return(classifier, batch, monkeypatch, keep, best_loss):
    calls = []

    def perturb(self, x, y, best_loss=False):
        calls.append(best_loss)
        return x.clone()

    monkeypatch.setattr(APGDAttack, 'perturb', perturb)
    APGD(eps=4, steps=2, keep=keep)(pixel_space_logits(classifier), *batch)
    assert calls == [best_loss]


def test_loss_rule_is_reproducible(classifier, batch):
    runs = [APGD(eps=8, steps=3, keep='loss', seed=1)(pixel_space_logits(classifier), *batch) for _ in range(2)]
    assert torch.equal(*runs)
    assert not torch.equal(runs[0], APGD(eps=8, steps=3, keep='loss', seed=2)(pixel_space_logits(classifier), *batch))


def test_targeted_uses_at_most_c_minus_1_targets(classifier, batch):  # the classifier has 5 classes
    attack = APGD(eps=24, steps=2, loss='dlr-targeted')
    assert attack.threat_model()['n_target_classes'] == 9
    adv = attack(pixel_space_logits(classifier), *batch)  # would index the 10th-highest of 5 logits
    assert adv.shape == batch[0].shape
    assert attack.threat_model()['n_target_classes'] == 4


def test_dlr_needs_enough_classes():
    def two_classes(x):
        return torch.stack([x.flatten(1).mean(1), -x.flatten(1).mean(1)], dim=1)

    torch.manual_seed(0)
    images = torch.rand(2, 3, 4, 4)
    for loss in ('dlr', 'dlr-targeted'):
        with pytest.raises(ValueError, match='DLR loss.*at least [34] classes, this one has 2'):
            APGD(loss=loss, steps=2)(two_classes, images, torch.tensor([0, 1]))
    assert APGD(loss='ce', steps=2)(two_classes, images, torch.tensor([0, 1])).shape == images.shape


def test_apgd_defaults_and_bad_arguments():
    assert [APGD(norm=n).eps for n in ('linf', 'l2', 'l1')] == [4.0, 2.0, 75.0]
    assert APGD(norm='l1').threat_model()['eps_01'] == 75.0
    assert APGD().threat_model()['eps_01'] == pytest.approx(4 / 255)
    for kwargs, match in ((dict(loss='margin'), 'loss'), (dict(norm='l3'), 'norm'), (dict(keep='last'), 'keep'),
                          (dict(loss='dlr-targeted', keep='loss'), 'misclassified'), (dict(steps=0), 'steps')):
        with pytest.raises(ValueError, match=match):
            APGD(**kwargs)
