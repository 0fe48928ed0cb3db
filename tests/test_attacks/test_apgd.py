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
    attack = ATTACKS.build(dict(type='APGD', eps=4, steps=7, restarts=2, loss='dlr', rho=0.5, seed=3))
    inner = attack.build(pixel_space_logits(classifier), torch.device('cpu'))
    assert type(inner) is APGDAttack
    settings = (inner.n_iter, inner.n_restarts, inner.loss, inner.norm, inner.thr_decr, inner.seed)
    assert settings == (7, 2, 'dlr', 'Linf', 0.5, 3)
    assert inner.eps == pytest.approx(4 / 255) and inner.device == torch.device('cpu')
    assert APGD().threat_model() == dict(attack='APGD', norm='linf', eps=4.0, eps_01=pytest.approx(4 / 255),
                                         eps_255=pytest.approx(4.0), steps=100, restarts=1, loss='ce', rho=0.75,
                                         seed=0, keep='misclassified')
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


def test_targeted_uses_at_most_c_minus_1_targets(classifier, batch, monkeypatch):  # the classifier has 5 classes
    from mmpart.attacks import apgd as apgd_module
    logged = []
    monkeypatch.setattr(apgd_module, 'print_log', lambda msg, **kwargs: logged.append(msg))
    attack = APGD(eps=24, steps=2, loss='dlr-targeted')
    assert attack.threat_model()['n_target_classes'] == 9
    adv = attack(pixel_space_logits(classifier), *batch)  # would index the 10th-highest of 5 logits
    assert adv.shape == batch[0].shape
    assert attack.threat_model()['n_target_classes'] == 4
    attack(pixel_space_logits(classifier), *batch)
    assert logged == ['APGD: the model has 5 classes, so APGD-T uses 4 target classes instead of 9']  # once
    APGD(eps=24, steps=2, loss='dlr-targeted', n_target_classes=4)(pixel_space_logits(classifier), *batch)
    assert len(logged) == 1  # 4 targets asked, 4 used: nothing to say


def test_labels_reach_the_reference_attack(classifier, batch):
    images, predicted = batch
    wrong = (predicted + 1) % 5
    logits_fn = pixel_space_logits(classifier)
    # misclassified from the start: comes back clean (with the predicted labels it would be attacked)
    assert torch.equal(APGD(eps=24, steps=3)(logits_fn, images, wrong), images)
    by_loss = APGD(eps=24, steps=3, keep='loss')
    assert not torch.equal(by_loss(logits_fn, images, wrong), by_loss(logits_fn, images, predicted))


def test_dlr_needs_enough_classes():
    def two_classes(x):
        return torch.stack([x.flatten(1).mean(1), -x.flatten(1).mean(1)], dim=1)

    torch.manual_seed(0)
    images = torch.rand(2, 3, 4, 4)
    for loss in ('dlr', 'dlr-targeted'):
        needs = r'^APGD: apgd-(dlr|t) \(DLR loss\) needs .* at least [34] classes, this one has 2'
        with pytest.raises(ValueError, match=needs):
            APGD(loss=loss, steps=2)(two_classes, images, torch.tensor([0, 1]))
    assert APGD(loss='ce', steps=2)(two_classes, images, torch.tensor([0, 1])).shape == images.shape


def test_apgd_defaults_and_bad_arguments():
    assert [APGD(norm=n).eps for n in ('linf', 'l2', 'l1')] == [4.0, 2.0, 75.0]
    assert APGD(norm='l1').threat_model()['eps_01'] == 75.0
    assert APGD().threat_model()['eps_01'] == pytest.approx(4 / 255)
    for kwargs, match in ((dict(loss='margin'), 'loss'), (dict(norm='l3'), 'norm'),
                          (dict(steps=0), '^APGD needs steps >= 1'),
                          (dict(restarts=0), 'restarts >= 1'), (dict(n_target_classes=0), 'n_target_classes >= 1'),
                          (dict(loss='dlr-targeted', keep='loss'),
                           r"^APGD with loss='dlr-targeted' takes keep='misclassified', got 'loss'$"),
                          (dict(keep='last'),
                           r"^APGD with loss='ce' takes keep='misclassified' or 'loss', got 'last'$")):
        with pytest.raises(ValueError, match=match):
            APGD(**kwargs)
    assert APGD(steps=1, n_target_classes=1, loss='dlr-targeted').steps == 1


def boundary_logits_fn(eps: float):
    """3 classes, label 0; what decides is the mean shift ``p`` of the pixels from 0.5: inside the ε ball the sample
    is classified correctly at a high loss (CE 1.03), on its upper face (``p = ε``, where APGD's first step lands)
    it is misclassified at a *lower* loss (CE 0.97). A straight-through term pushes every pixel up."""
    inside, face = torch.tensor([1.0, 0.9, 0.9]), torch.tensor([1.0, 1.5, -5.0])

    def logits_fn(x):
        shift = x.flatten(1).mean(1)
        on_face = (shift.detach() - 0.5 >= eps * (1 - 1e-3))[:, None]
        return torch.where(on_face, face, inside) + (shift - shift.detach())[:, None] * torch.tensor([-1.0, 1.0, 1.0])

    return logits_fn


def test_first_misclassified_iterate_is_returned_even_at_a_lower_loss():
    # the harder case of the evaluation rule: APGD's random start is classified correctly at a higher loss than the
    # first misclassified iterate; a rule that kept the highest loss would return the start and call the sample robust
    images, labels = torch.full((4, 1, 8, 8), 0.5), torch.zeros(4, dtype=torch.long)
    logits_fn = boundary_logits_fn(8 / 255)
    loss = {}
    for keep in ('misclassified', 'loss'):
        adv = APGD(eps=8, steps=3, keep=keep)(logits_fn, images, labels)
        with torch.no_grad():
            logits = logits_fn(adv)
        loss[keep] = torch.nn.functional.cross_entropy(logits, labels, reduction='none')
        broken = (logits.argmax(1) != labels).tolist()
        assert broken == [keep == 'misclassified'] * 4
    assert (loss['misclassified'] < loss['loss']).all()
