"""PGD / FGSM: ε-ball and [0, 1], which iterate and restart is returned, hand-computed steps, no parameter
gradients, per-norm defaults."""
import pytest
import torch
import torch.nn.functional as F

from mmpart.attacks import FGSM, PGD, STANDARD_EPS, from_pixel_space, pixel_space_logits, to_pixel_space
from mmpart.registry import ATTACKS

from .straight_through import ALPHA, CENTRE, LOWER_LOSS_BREAK, TABLES, position_images, table_logits_fn


@pytest.fixture
def batch(images):
    return images, torch.tensor([0, 1, 2, 3, 4, 0])


@pytest.mark.parametrize('keep', ['misclassified', 'loss'])
@pytest.mark.parametrize('norm,eps', [('linf', 8.0), ('l2', 0.5)])
def test_pgd_stays_in_eps_ball_and_unit_range(classifier, batch, norm, eps, keep):
    images, labels = batch
    adv = PGD(eps=eps, steps=5, norm=norm, restarts=2, keep=keep)(pixel_space_logits(classifier), images, labels)
    assert adv.shape == images.shape and adv.min() >= 0 and adv.max() <= 1
    delta = (adv - images).flatten(1)
    if norm == 'linf':
        assert delta.abs().max() <= eps / 255 + 1e-6
    else:
        assert (delta.norm(dim=1) <= eps + 1e-5).all()
    assert (delta.abs().sum(dim=1) > 0).all()


def test_pgd_raises_the_loss(classifier, batch):
    images, labels = batch
    logits_fn = pixel_space_logits(classifier)
    adv = PGD(eps=8, steps=5, random_start=False, keep='loss')(logits_fn, images, labels)
    with torch.no_grad():
        clean = F.cross_entropy(logits_fn(images), labels, reduction='none')
        robust = F.cross_entropy(logits_fn(adv), labels, reduction='none')
    assert (robust > clean).all()


def test_attack_touches_no_parameter_gradient_or_bn_statistics(classifier, batch):
    images, labels = batch
    running = classifier.backbone.bn1.running_mean.clone()
    PGD(eps=4, steps=2)(pixel_space_logits(classifier), images, labels)
    assert all(p.grad is None for p in classifier.parameters())
    assert torch.equal(classifier.backbone.bn1.running_mean, running)


# --- which iterate comes back: a hand-built model whose loss and correctness disagree along the path


@pytest.mark.parametrize('keep,expected', [('last', (3, 3)), ('loss', (2, 2)), ('misclassified', (1, 2))])
def test_returned_iterate_follows_the_rule(keep, expected):
    images, labels = position_images(), torch.tensor([0, 0])
    logits_fn = table_logits_fn()
    attack = PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, keep=keep)
    for result in (attack.run(logits_fn, images, labels), ):
        positions = ((result.images[:, 0, 0, 0] - CENTRE) / ALPHA).round().long().tolist()
        assert positions == list(expected)
        torch.testing.assert_close(result.logits, torch.stack([TABLES[i][k] for i, k in enumerate(expected)]))
        torch.testing.assert_close(attack(logits_fn, images, labels), result.images)
        assert torch.equal(result.images[:, 1], images[:, 1])  # the identity channel has no gradient: it never moves


def test_loss_rule_overstates_robustness_where_misclassified_does_not():
    # sample 0 is misclassified at the first step, then correctly classified at a higher loss
    images, labels = position_images(), torch.tensor([0, 0])
    logits_fn = table_logits_fn()
    robust = {}
    for keep in ('loss', 'misclassified'):
        logits = PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, keep=keep).run(
            logits_fn, images, labels).logits
        robust[keep] = (logits.argmax(1) == labels).tolist()
    assert robust == dict(loss=[True, True], misclassified=[False, True])


@pytest.mark.parametrize('restarts', [1, 2])
def test_first_misclassified_iterate_is_returned_even_at_a_lower_loss(restarts):
    # the harder case of the evaluation rule: sample 2 is classified correctly at iterate 1 with a higher loss than
    # at iterate 2, where it is first misclassified; a rule that kept the highest loss would call it robust
    loss = F.cross_entropy(TABLES[LOWER_LOSS_BREAK][1:3], torch.tensor([0, 0]), reduction='none')
    assert loss[0] > loss[1] and TABLES[LOWER_LOSS_BREAK][1].argmax() == 0 != TABLES[LOWER_LOSS_BREAK][2].argmax()
    images, labels = position_images((LOWER_LOSS_BREAK, 1)), torch.tensor([0, 0])
    returned = {}
    for keep in ('misclassified', 'loss'):
        result = PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, restarts=restarts, keep=keep).run(
            table_logits_fn(), images, labels)
        returned[keep] = ((result.images[:, 0, 0, 0] - CENTRE) / ALPHA).round().long().tolist()
        torch.testing.assert_close(result.logits, table_logits_fn()(result.images))
        if keep == 'misclassified':
            assert (result.logits.argmax(1) != labels).tolist() == [True, False]  # counted broken
    assert returned == dict(misclassified=[2, 2], loss=[1, 2])


def test_broken_samples_leave_the_batch():
    calls = []
    logits_fn = table_logits_fn(calls)
    PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False).run(logits_fn, position_images(),
                                                                         torch.tensor([0, 0]))
    assert calls == [2, 2, 1, 1]  # sample 0 breaks at iterate 1; the final (gradient-free) pass judges iterate 3
    calls.clear()
    PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False)(logits_fn, position_images(), torch.tensor([0, 0]))
    assert calls == [2, 2, 1, 1]
    calls.clear()
    PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, keep='last')(
        logits_fn, position_images(), torch.tensor([0, 0]))
    assert calls == [2, 2, 2]  # nothing to judge at the end: no final pass


def threshold_logits_fn(threshold: float):
    """2 classes; class 1 (wrong for label 0) wins right of ``threshold``; the loss grows to the right."""

    def logits_fn(x):
        z = 20 * (x.flatten(1)[:, :1] - threshold)
        return torch.cat([torch.zeros_like(z), z], dim=1)

    return logits_fn


def test_restarts_add_to_what_the_first_found():
    # 64 copies of one pixel at 0.5, eps 20/255, one short step: a copy is broken when its random start is
    # right of 0.5 + 0.7 eps, so each restart breaks a different random ~15 % of them
    images, labels = torch.full((64, 1, 1, 1), 0.5), torch.zeros(64, dtype=torch.long)
    eps = 20 / 255
    logits_fn = threshold_logits_fn(0.5 + 0.8 * eps)
    broken, loss = {}, {}
    for keep in ('misclassified', 'loss'):
        for restarts in (1, 2):
            torch.manual_seed(0)
            result = PGD(eps=20, steps=1, step_size=2, restarts=restarts, keep=keep).run(logits_fn, images, labels)
            broken[keep, restarts] = result.logits.argmax(1) != labels
            loss[keep, restarts] = F.cross_entropy(result.logits, labels, reduction='none')
            torch.testing.assert_close(result.logits, logits_fn(result.images))
    for keep in ('misclassified', 'loss'):
        assert 0 < broken[keep, 1].sum() < broken[keep, 2].sum() < 64
        assert (broken[keep, 2] | ~broken[keep, 1]).all()  # the second restart keeps what the first broke
        assert (loss['loss', 2] >= loss['loss', 1]).all()
    assert (loss['loss', 2] > loss['loss', 1]).any()


# --- hand-computed steps


def linear_logits_fn(x):
    """logits = x · w for a 2-pixel "image": gradients are known in closed form."""
    return x.flatten(1) @ torch.tensor([[1.0, -1.0], [-2.0, 0.5]])


def ce_input_gradient(images, labels):
    x = images.clone().requires_grad_(True)
    grad, = torch.autograd.grad(F.cross_entropy(linear_logits_fn(x), labels, reduction='sum'), x)
    return grad


@pytest.mark.parametrize('step,projected', [(0.1, False), (0.5, True)])
def test_l2_step_hand_computed(step, projected):
    images, labels = torch.tensor([[0.5, 0.5]]), torch.tensor([0])
    grad = ce_input_gradient(images, labels)
    direction = grad / grad.norm()
    # a step longer than eps lands on the sphere of radius eps around the image
    expected = images + (0.2 if projected else step) * direction
    adv = PGD(eps=0.2, steps=1, step_size=step, norm='l2', random_start=False, keep='last')(
        linear_logits_fn, images, labels)
    torch.testing.assert_close(adv, expected)
    if projected:
        assert not torch.allclose(adv, (images + step * direction).clamp(0, 1))


def test_linf_steps_hand_computed():
    images, labels = torch.tensor([[0.5, 0.99]]), torch.tensor([0])
    sign = ce_input_gradient(images, labels).sign()
    # two steps of 3/255 inside a 4/255 ball: the second is cut at the ball, and at 1 for the second pixel
    adv = PGD(eps=4, steps=2, step_size=3, random_start=False, keep='last')(linear_logits_fn, images, labels)
    torch.testing.assert_close(adv, (images + 4 / 255 * sign).clamp(0, 1))
    assert adv[0, 1] == 1.0


@pytest.mark.parametrize('norm,eps', [('linf', 8.0), ('l2', 0.3)])
def test_random_start_is_inside_the_ball(norm, eps):
    torch.manual_seed(0)
    images = torch.full((32, 3, 4, 4), 0.5)
    start = PGD(eps=eps, norm=norm)._start(images)
    delta = (start - images).flatten(1)
    size = delta.abs().amax(1) * 255 if norm == 'linf' else delta.norm(dim=1)
    assert (size <= eps * (1 + 1e-5)).all() and (size > 0).all() and size.max() > eps / 2
    assert torch.equal(PGD(eps=eps, norm=norm, random_start=False)._start(images), images)


def test_fgsm_is_one_step_from_the_clean_image(classifier, batch):
    images, labels = batch
    logits_fn = pixel_space_logits(classifier)
    fgsm = FGSM(eps=4, keep='last')(logits_fn, images, labels)
    pgd = PGD(eps=4, steps=1, step_size=4, random_start=False, keep='last')(logits_fn, images, labels)
    assert torch.equal(fgsm, pgd)
    x = images.clone().requires_grad_(True)
    grad, = torch.autograd.grad(F.cross_entropy(logits_fn(x), labels, reduction='sum'), x)
    torch.testing.assert_close(fgsm, (images + 4 / 255 * grad.sign()).clamp(0, 1))
    # evaluation rule: samples the model already gets wrong come back clean
    with torch.no_grad():
        wrong = logits_fn(images).argmax(1) != labels
    assert wrong.any() and not wrong.all()
    evaluated = FGSM(eps=4)(logits_fn, images, labels)
    assert torch.equal(evaluated[wrong], images[wrong])


# --- configuration


@pytest.mark.parametrize('norm', ['linf', 'l2'])
def test_defaults_per_norm(norm):
    attack = ATTACKS.build(dict(type='PGD', norm=norm, steps=4))
    assert attack.eps == STANDARD_EPS[norm] and attack.step_size == pytest.approx(2.5 * STANDARD_EPS[norm] / 4)
    assert attack.keep == 'misclassified' and attack.random_start and attack.restarts == 1
    model = attack.threat_model()
    eps01 = 4 / 255 if norm == 'linf' else 2.0
    assert (model['eps_01'], model['eps_255']) == (pytest.approx(eps01), pytest.approx(eps01 * 255))
    assert FGSM(norm=norm).eps == STANDARD_EPS[norm] and FGSM(norm=norm).step_size == STANDARD_EPS[norm]
    assert FGSM(norm=norm, loss='margin').threat_model()['loss'] == 'margin'


def test_margin_loss_and_bad_arguments():
    attack = ATTACKS.build(dict(type='PGD', eps=2, steps=3, loss='margin'))
    assert isinstance(attack, PGD) and attack.step_size == pytest.approx(2.5 * 2 / 3)
    logits = torch.tensor([[3.0, 1.0, 2.0]])
    assert attack.loss_fn(logits, torch.tensor([0])).item() == pytest.approx(-1.0)
    assert attack.loss_fn(logits, torch.tensor([1])).item() == pytest.approx(2.0)
    for kwargs, match in ((dict(norm='l1'), 'norm'), (dict(keep='best'), 'keep'), (dict(loss='dlr'), 'loss'),
                          (dict(keep='last', restarts=2), 'restarts'), (dict(steps=0), 'steps'),
                          (dict(eps=-1), 'eps')):
        with pytest.raises(ValueError, match=match):
            PGD(**kwargs)


def test_pixel_space_round_trip_and_missing_normalisation(classifier):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 4, 4)
    inputs = from_pixel_space(classifier, x)
    torch.testing.assert_close(inputs[:, 0], (x[:, 0] * 255 - 120) / 60)
    torch.testing.assert_close(to_pixel_space(classifier, inputs), x)
    from mmpretrain.models import ImageClassifier
    plain = ImageClassifier(backbone=dict(type='ResNet_CIFAR', depth=18), neck=dict(type='GlobalAveragePooling'),
                            head=dict(type='LinearClsHead', num_classes=2, in_channels=512))
    with pytest.raises(ValueError, match=r'ClsDataPreprocessor\) has no mean/std.*model.data_preprocessor.mean'):
        pixel_space_logits(plain)


def test_normalisation_must_be_complete():
    from types import SimpleNamespace

    from mmpart.attacks import normalisation
    with pytest.raises(ValueError, match=r'Module.data_preprocessor \(NoneType\) has no mean/std'):
        normalisation(torch.nn.Module())
    half = torch.nn.Module()
    half.data_preprocessor = SimpleNamespace(mean=torch.zeros(3, 1, 1), std=None)
    with pytest.raises(ValueError, match='has no mean/std'):
        normalisation(half)
