"""TRADES and AWP on the hand-set linear classifier, against losses, gradients and weight perturbations computed by
hand; MPM's TRADES losses; autocast."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmpart.attacks import from_pixel_space, to_pixel_space
from mmpart.engine.hooks import AdversarialWeightPerturbationHook
from mmpart.models.losses import TRADESLoss

from ..test_models.test_mpm_classifier import build_synthetic_mpm, samples
from .hand_set_classifier import PIXEL_MEAN, PIXEL_STD, SLOPE, THRESHOLD, build_hand_set_model, hand_set_state_dict

#: red values (0..255) of the batch and its labels: three right, one wrong, at several distances
REDS = (127.5 + 6.5, 127.5 - 12.5, 127.5 + 1.5, 127.5 + 3.5)
LABELS = (1, 0, 1, 0)
EPS = 4


def batch(model):
    images = torch.zeros(len(REDS), 3, 4, 4)
    images[:, 0] = torch.tensor(REDS).view(-1, 1, 1) / 255
    images[:, 1], images[:, 2] = 100 / 255, 180 / 255
    return from_pixel_space(model, images), [DataSample().set_gt_label(label) for label in LABELS]


def logits_of(reds, slope=SLOPE):
    """The hand-set model's logits at uniform images of these red values: ±gap/2."""
    gap = slope * (torch.as_tensor(reds, dtype=torch.float64) - THRESHOLD)
    return torch.stack([-gap / 2, gap / 2], dim=1)


def trades_model(**attack):
    attack = dict(dict(type='PGD', eps=EPS, steps=10, step_size=1), **attack)
    return build_hand_set_model(type='AdvImageClassifier', attack=attack,
                                robust_loss=dict(type='TRADESLoss', beta=6.0)).train()


def test_trades_loss_is_beta_times_the_batch_mean_kl():
    clean, adversarial = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    p = clean.softmax(1)
    q = adversarial.softmax(1)
    by_hand = sum(float((p[i] * (p[i] / q[i]).log()).sum()) for i in range(2)) / 2
    assert TRADESLoss(beta=6.0)(clean, adversarial).item() == pytest.approx(6 * by_hand, rel=1e-6)
    with pytest.raises(ValueError, match='^beta must be >= 0, got -1$'):
        TRADESLoss(beta=-1)
    assert TRADESLoss().beta == 6.0  # the official code's CIFAR-10 setting (it has no ImageNet recipe)
    assert TRADESLoss(beta=0).beta == 0 and TRADESLoss(beta=0.5)(clean, adversarial).item() == pytest.approx(
        0.5 * by_hand, rel=1e-6)  # 0 (clean training) and fractions are allowed


def test_trades_step_against_a_hand_computation():
    model = trades_model()
    assert (model.attack.loss_name, model.attack.keep) == ('kl', 'last')  # the TRADESLoss defaults
    seen = []
    attack = model.attack
    model.attack = lambda fn, images, targets: seen.append(
        (images, targets, attack(fn, images, targets))) or seen[-1][2]
    inputs, data_samples = batch(model)
    torch.manual_seed(0)
    losses = model(inputs, data_samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_robust'}

    clean = logits_of(REDS)
    ce = sum(float(torch.logsumexp(clean[i], 0) - clean[i, y]) for i, y in enumerate(LABELS)) / len(LABELS)
    assert losses['loss_cls'].item() == pytest.approx(ce, rel=1e-5)

    images, targets, adversarial = seen[0]
    torch.testing.assert_close(targets, clean.softmax(1).float(), rtol=1e-5, atol=1e-6)  # the clean prediction
    reds = 255 * adversarial[:, 0].mean(dim=(1, 2))
    # the KL grows with the distance of the adversarial logit gap from the clean one: every red pixel ends on one
    # edge of the ball (the side the random start leaned to)
    torch.testing.assert_close((reds - torch.tensor(REDS)).abs(), torch.full((4, ), float(EPS)), atol=1e-3, rtol=0)
    p, q = clean.softmax(1), logits_of(reds.double()).softmax(1)
    kl = float((p * (p / q).log()).sum(1).mean())
    assert losses['loss_robust'].item() == pytest.approx(6 * kl, rel=1e-4)
    assert kl > 0


def test_trades_needs_an_attack_and_keeps_an_attack_config():
    with pytest.raises(ValueError, match='robust_loss=TRADESLoss compares clean and adversarial logits: it needs an '
                                         'attack'):
        build_hand_set_model(type='AdvImageClassifier', robust_loss=dict(type='TRADESLoss'))
    assert trades_model(loss='ce', keep='loss').attack.loss_name == 'ce'
    with pytest.raises(ValueError, match="loss='kl' is computed against soft targets"):
        trades_model(keep='misclassified')


def test_mpm_trades_puts_the_part_loss_on_the_adversarial_batch():
    model = build_synthetic_mpm(robust_loss=dict(type='TRADESLoss', beta=6.0))
    model.train()
    passes = []
    model.backbone.register_forward_pre_hook(lambda m, args: passes.append((m.training, args[0].detach().clone())))
    part_inputs = []
    model.part_head.projections[0].register_forward_pre_hook(lambda m, args: part_inputs.append(len(passes)))
    torch.manual_seed(0)
    inputs = from_pixel_space(model, torch.rand(4, 3, 32, 32))
    losses = model(inputs, samples(4), mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {'loss_cls', 'loss_robust', 'loss_part_s0', 'loss_part_s1',
                                                            'loss_part_s2'}
    training = [x for is_training, x in passes if is_training]
    assert len(training) == 2 and torch.equal(training[0], inputs)  # clean for loss_cls, then adversarial
    assert 0 < (to_pixel_space(model, training[1]) - to_pixel_space(model, inputs)).abs().max() <= 4 / 255 + 1e-5
    assert part_inputs == [len(passes)]  # the part head ran once, on the last (adversarial) pass
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None for p in model.parameters())  # DDP needs no find_unused_parameters


def test_trades_under_autocast():
    model = build_synthetic_mpm(robust_loss=dict(type='TRADESLoss'))
    model.train()
    torch.manual_seed(0)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(from_pixel_space(model, torch.rand(4, 3, 32, 32)), samples(4), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    assert torch.isfinite(total) and all(torch.isfinite(p.grad).all() for p in model.parameters())


def ce_gradients(weights: dict, reds) -> dict:
    """By hand: the gradients of the mean cross entropy of the hand-set model (1x1 conv on the normalised channels,
    average pooling, linear head) w.r.t. its conv and head weights, at uniform images of these red values."""
    x = torch.tensor([[(r - PIXEL_MEAN[0]) / PIXEL_STD[0], (100 - PIXEL_MEAN[1]) / PIXEL_STD[1],
                       (180 - PIXEL_MEAN[2]) / PIXEL_STD[2]] for r in reds], dtype=torch.float64)
    conv, head = weights['backbone.weight'].double().view(3), weights['head.fc.weight'].double().view(2)
    feature = x @ conv + weights['backbone.bias'].double()
    logits = feature[:, None] * head + weights['head.fc.bias'].double()
    error = logits.softmax(1) - F.one_hot(torch.tensor(LABELS), 2).double()  # dCE/dlogits per sample
    return {'head.fc.weight': (error * feature[:, None]).mean(0).view(2, 1),
            'backbone.weight': ((error @ head)[:, None] * x).mean(0).view(1, 3, 1, 1)}


def awp_by_hand(weights: dict, gamma: float) -> dict:
    grads = ce_gradients(weights, REDS)
    return {k: gamma * weights[k].double().norm() / grads[k].norm() * grads[k] for k in grads}


def test_awp_perturbation_and_step_against_a_hand_computation():
    gamma, lr = 0.05, 0.5
    model = build_hand_set_model(type='AdvImageClassifier').train()  # clean training: the gradient by hand
    hook = AdversarialWeightPerturbationHook(gamma=gamma)
    weights = {k: v.clone() for k, v in hand_set_state_dict().items()}
    v = awp_by_hand(weights, gamma)
    inputs, data_samples = batch(model)

    model.weight_perturbation = hook
    hook.perturb(model, lambda: model.loss(inputs, data_samples))
    for key, value in v.items():  # conv and head weights perturbed; biases are not (dimension 1)
        torch.testing.assert_close(model.state_dict()[key].double(), weights[key].double() + value,
                                   atol=1e-6, rtol=1e-5)
    assert torch.equal(model.state_dict()['head.fc.bias'], weights['head.fc.bias'])
    hook.restore()
    for key in v:
        torch.testing.assert_close(model.state_dict()[key], weights[key], atol=1e-7, rtol=0)

    # one SGD step: the gradient at the perturbed weights, applied to the unperturbed ones
    # uint8 BGR images, as a dataloader gives them (the preprocessor turns them to RGB and normalises)
    data = dict(inputs=[(255 * to_pixel_space(model, x)).round().to(torch.uint8).flip(0) for x in inputs],
                data_samples=data_samples)
    model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=lr)))
    hook.after_train_iter(None, 0)
    perturbed = {k: weights[k].double() + v[k] if k in v else weights[k] for k in weights}
    at_perturbed = ce_gradients(perturbed, REDS)
    for key in v:
        torch.testing.assert_close(model.state_dict()[key].double(), weights[key].double() - lr * at_perturbed[key],
                                   atol=1e-5, rtol=0)
    assert not math.isclose(at_perturbed['head.fc.weight'][1, 0].item(),
                            ce_gradients(weights, REDS)['head.fc.weight'][1, 0].item(), rel_tol=1e-3)


def test_awp_leaves_bn_statistics_and_grads_alone():
    model = build_synthetic_mpm()  # PGD-AT
    model.train()
    hook = AdversarialWeightPerturbationHook(gamma=5e-3)
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    torch.manual_seed(0)
    inputs = from_pixel_space(model, torch.rand(4, 3, 32, 32))
    hook.perturb(model, lambda: model.loss(inputs, samples(4)))
    assert all(torch.equal(b, buffers[k]) for k, b in model.named_buffers())
    assert all(p.grad is None for p in model.parameters())
    assert len(hook.applied) == sum(p.dim() > 1 for p in model.parameters())
