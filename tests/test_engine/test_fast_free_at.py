"""Fast AT (Wong et al. 2020) and free AT (Shafahi et al. 2019) on the hand-set linear classifier, against the
perturbations and weight updates computed by hand."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner

from mmpart.attacks import FreePerturbation, to_pixel_space
from mmpart.utils import register_all_modules

from .hand_set_classifier import (
    PIXEL_MEAN,
    PIXEL_STD,
    THRESHOLD,
    build_hand_set_model,
    hand_set_config,
    hand_set_state_dict,
    make_margin_data,
    margins,
    write_checkpoint,
)
from .test_robust_training_losses import LABELS, batch, logits_of

CONFIGS = Path(__file__).parents[2] / 'configs'


def fast_at_attack() -> dict:
    """The attack of the fast-AT recipes (one config for the R-50 baseline, MPM and the synthetic MPM)."""
    attacks = [Config.fromfile(str(CONFIGS / name)).model.attack.to_dict() for name in (
        'baseline/baseline_r50_fast-at.py', 'mpm/mpm_r50_fast-at.py', 'mpm/mpm_r18_synthetic_fast-at.py')]
    assert attacks[0] == attacks[1] == attacks[2]
    return attacks[0]


def test_fast_at_is_fgsm_of_1_25_eps_from_a_uniform_start():
    attack = fast_at_attack()
    model = build_hand_set_model(type='AdvImageClassifier', attack=attack).train()
    eps, alpha = attack['eps'] / 255, 1.25 * attack['eps'] / 255
    seen = []
    inner = model.attack
    model.attack = lambda fn, images, labels: seen.append((images, inner(fn, images, labels))) or seen[-1][1]
    inputs, data_samples = batch(model)
    torch.manual_seed(0)
    losses = model(inputs, data_samples, mode='loss')

    images, adversarial = seen[0]
    torch.manual_seed(0)
    start = (images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1)  # the same draw, by hand
    # the gradient sign of the linear model: red towards the other class (+ for label 0), nothing on green and blue
    sign = torch.zeros_like(images)
    sign[:, 0] = torch.tensor([1.0 if label == 0 else -1.0 for label in LABELS]).view(-1, 1, 1)
    by_hand = torch.min(torch.max(start + alpha * sign, images - eps), images + eps).clamp(0, 1)
    torch.testing.assert_close(adversarial, by_hand, atol=1e-6, rtol=0)
    assert not torch.equal(by_hand[:, 0], (images + eps * sign)[:, 0])  # some pixels end inside the ball
    reds = 255 * adversarial[:, 0].mean(dim=(1, 2))
    logits = logits_of(reds.double())
    ce = sum(float(torch.logsumexp(logits[i], 0) - logits[i, y]) for i, y in enumerate(LABELS)) / len(LABELS)
    assert abs(losses['loss'].item() - ce) < 1e-5  # the training loss is taken at the stepped point


def free_at_by_hand(weights: dict, batches: list, replays: int, eps: float, step: float, lr: float):
    """Free AT on the hand-set model, by hand: for each batch (per-sample RGB values in 0..255 and labels of uniform
    images), ``replays`` SGD steps at ``clamp(x + δ)``, each stepping ``δ`` (0..255 units, per sample and channel)
    by the sign of the input gradient of the same loss; returns the final weights and ``δ``."""
    mean, std = torch.tensor(PIXEL_MEAN, dtype=torch.float64), torch.tensor(PIXEL_STD, dtype=torch.float64)
    conv, bias = weights['backbone.weight'].double().view(3), weights['backbone.bias'].double()
    head, head_bias = weights['head.fc.weight'].double().view(2), weights['head.fc.bias'].double()
    delta = None
    for pixels, labels in batches:
        delta = torch.zeros_like(pixels) if delta is None else delta
        for _ in range(replays):
            z = ((pixels + delta).clamp(0, 255) - mean) / std
            feature = z @ conv + bias
            logits = feature[:, None] * head + head_bias
            error = logits.softmax(1) - F.one_hot(torch.tensor(labels), 2).double()  # dCE/dlogits, per sample
            through_head = error @ head
            grads = ((through_head[:, None] * z).mean(0), through_head.mean(),
                     (error * feature[:, None]).mean(0), error.mean(0))
            delta = (delta + step * (through_head[:, None] * conv).sign()).clamp(-eps, eps)  # before the update
            conv, bias, head, head_bias = (p - lr * g for p, g in zip((conv, bias, head, head_bias), grads))
    return dict(conv=conv, bias=bias, head=head, head_bias=head_bias), delta


FREE_EPS, FREE_STEP, FREE_REPLAYS, FREE_LR = 8, 3, 3, 0.05  # the free-AT runs of these tests


def free_at_runner(tmp_path: Path, work_dir: str, max_epochs: int, resume: bool = False) -> Runner:
    """Free AT of the hand-set classifier on the margin data, a checkpoint after every epoch."""
    register_all_modules()
    cfg = hand_set_config(make_margin_data(tmp_path / 'data'))
    cfg.model.update(type='AdvImageClassifier',
                     attack=dict(type='FreePerturbation', eps=FREE_EPS, step_size=FREE_STEP))
    cfg.train_dataloader = dict(cfg.val_dataloader, batch_size=7, sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.train_cfg = dict(type='MinibatchReplayTrainLoop', replays=FREE_REPLAYS, max_epochs=max_epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=FREE_LR))
    cfg.default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1),
                             training_attack_state=dict(type='TrainingAttackStateHook'))
    cfg.load_from = None if resume else write_checkpoint(tmp_path / 'hand_set.pth')  # resume: the work dir's latest
    cfg.resume = resume
    cfg.work_dir = str(tmp_path / work_dir)
    return Runner.from_cfg(cfg)


def test_free_at_against_a_hand_computation(tmp_path):
    runner = free_at_runner(tmp_path, 'work_dir', max_epochs=1)
    passes = []
    runner.model.backbone.register_forward_pre_hook(lambda m, args: passes.append(m.training))
    runner.train()

    # batches in file order: class 0's samples, then class 1's (one misclassified sample each)
    batches = [(torch.tensor([[THRESHOLD + (1 if label else -1) * d, 100, 180] for d in margins(label)],
                             dtype=torch.float64), [label] * 7) for label in (0, 1)]
    weights, delta = free_at_by_hand(hand_set_state_dict(), batches, FREE_REPLAYS, FREE_EPS, FREE_STEP, FREE_LR)
    state = runner.model.state_dict()
    for key, value in zip(('backbone.weight', 'backbone.bias', 'head.fc.weight', 'head.fc.bias'), weights.values()):
        torch.testing.assert_close(state[key].double().flatten(), value.flatten(), atol=1e-5, rtol=0)
    carried = runner.model.attack.delta  # pixel space [0, 1], uniform over each image
    torch.testing.assert_close(255 * carried.double().mean(dim=(2, 3)), delta, atol=1e-4, rtol=0)
    assert (delta[:, 1:] != 0).any() and (delta[:, 0].abs() < FREE_EPS).any()  # green and blue moved; not all at ±eps
    # one iteration per batch, one training pass per replay and none for an attack: the perturbation is free
    assert runner.iter == 2 and passes == [True] * 2 * FREE_REPLAYS


def test_free_perturbation_under_autocast_a_loss_scale_and_a_non_finite_gradient():
    model = build_hand_set_model(type='AdvImageClassifier', attack=dict(type='FreePerturbation', eps=4)).train()
    inputs, data_samples = batch(model)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = model(inputs, data_samples, mode='loss')['loss']
    (loss * 65536).backward()  # as AmpOptimWrapper's loss scale: the sign is all that counts
    expected = torch.zeros_like(model.attack.delta)
    expected[:, 0] = torch.tensor([4.0 if label == 0 else -4.0 for label in LABELS]).view(-1, 1, 1) / 255
    torch.testing.assert_close(model.attack.delta, expected, atol=1e-7, rtol=0)
    images = to_pixel_space(model, inputs)
    (model.attack(None, images, None) * float('inf')).sum().backward()  # an overflow: the optimizer skips the step
    torch.testing.assert_close(model.attack.delta, expected, atol=1e-7, rtol=0)  # and δ stays
    (model.attack(None, images, None) * float('nan')).sum().backward()
    torch.testing.assert_close(model.attack.delta, expected, atol=1e-7, rtol=0)
    with pytest.raises(TypeError, match='never moves in an evaluation'):
        model.attack.run(lambda x: x, inputs, torch.tensor(LABELS))
    assert FreePerturbation(eps=4, step_size=2).threat_model() == dict(
        attack='FreePerturbation', norm='linf', eps=4.0, eps_01=pytest.approx(4 / 255), eps_255=pytest.approx(4.0),
        steps=1, step_size=2, random_start=False)
    assert FreePerturbation(eps=8).step_size == 8  # the reference's fgsm_step = eps


def test_a_resumed_free_at_run_continues_the_perturbation(tmp_path):
    straight = free_at_runner(tmp_path, 'straight', max_epochs=2)
    straight.train()
    first = free_at_runner(tmp_path, 'killed', max_epochs=1)
    first.train()
    delta_after_one_epoch = first.model.attack.delta.clone()
    assert delta_after_one_epoch.abs().sum() > 0
    saved = torch.load(tmp_path / 'killed' / 'epoch_1.pth', map_location='cpu')
    torch.testing.assert_close(saved['training_attack_state'], [{'delta': delta_after_one_epoch}], atol=0, rtol=0)

    resumed = free_at_runner(tmp_path, 'killed', max_epochs=2, resume=True)
    resumed.train()
    assert resumed.iter == straight.iter == 4
    torch.testing.assert_close(resumed.model.attack.delta, straight.model.attack.delta, atol=0, rtol=0)
    torch.testing.assert_close(resumed.model.state_dict(), straight.model.state_dict(), atol=0, rtol=0)


def test_the_attack_starts_afresh_from_load_from_or_another_number_of_processes(tmp_path):
    free_at_runner(tmp_path, 'first', max_epochs=1).train()
    checkpoint = tmp_path / 'first' / 'epoch_1.pth'
    fine_tune = free_at_runner(tmp_path, 'fine_tune', max_epochs=1)
    fine_tune.cfg.load_from = str(checkpoint)
    fine_tune._load_from = str(checkpoint)
    fine_tune.load_or_resume()
    assert fine_tune.model.attack.delta is None  # a new run from trained weights
    resumed = free_at_runner(tmp_path, 'first', max_epochs=2, resume=True)
    state = torch.load(checkpoint, map_location='cpu')
    state['training_attack_state'] *= 2  # as saved by two processes
    torch.save(state, checkpoint)
    with pytest.warns(UserWarning, match='saved by 2 processes, this run has 1: FreePerturbation starts afresh'):
        resumed.load_or_resume()
    assert resumed.model.attack.delta is None
    del state['training_attack_state']  # e.g. a checkpoint of an earlier version
    torch.save(state, checkpoint)
    resumed = free_at_runner(tmp_path, 'first', max_epochs=2, resume=True)
    with pytest.warns(UserWarning, match='holds no state of the training attack: FreePerturbation starts afresh'):
        resumed.load_or_resume()
    assert resumed.model.attack.delta is None


def test_the_carried_perturbation_grows_shrinks_restarts_and_stays_in_the_image():
    attack = FreePerturbation(eps=4)
    attack.delta = torch.full((2, 3, 2, 2), 0.25, dtype=torch.float64)  # e.g. as a checkpoint restored it
    images = torch.full((3, 3, 2, 2), 0.5)
    out = attack(None, images, None)
    assert attack.delta.shape == (3, 3, 2, 2) and attack.delta.dtype == torch.float32  # grown with a zero row
    torch.testing.assert_close(out, torch.cat([torch.full((2, 3, 2, 2), 0.75), torch.full((1, 3, 2, 2), 0.5)]))
    assert torch.equal(attack(None, torch.ones(1, 3, 2, 2), None), torch.ones(1, 3, 2, 2))  # first row, clamped at 1
    attack.delta.fill_(-0.25)
    assert torch.equal(attack(None, torch.zeros(2, 3, 2, 2), None), torch.zeros(2, 3, 2, 2))  # clamped at 0
    assert torch.equal(attack(None, torch.full((2, 3, 4, 4), 0.5), None), torch.full((2, 3, 4, 4), 0.5))
    assert attack.delta.shape == (2, 3, 4, 4) and not attack.delta.any()  # another image size starts again
