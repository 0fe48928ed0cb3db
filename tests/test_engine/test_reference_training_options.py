"""Training options that reproduce reference code, on hand-computable cases and against transcriptions of it: from
Wong et al.'s ImageNet fast AT (locuslab/fast_adversarial, main_fast.py) the attack pass in train mode (batch
statistics, running statistics updated per forward pass), progressive resizing and the learning rate as a
piecewise-linear function of the fractional epoch; from the AWP code (csdongxian/AWP) the weight perturbation along
the plain cross entropy."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmpart.attacks import from_pixel_space
from mmpart.engine.hooks import AdversarialWeightPerturbationHook, PiecewiseLinearLRHook, ProgressiveResizingHook
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

from ..test_models.test_mpm_classifier import build_synthetic_mpm, samples
from .tiny_classifier import make_tiny_data, one_thread, tiny_config

EPS, STEP = 4 / 255, 5 / 255


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


def bn_classifier(attack_mode: str):
    """A conv + BatchNorm classifier in train mode, attacked by fast AT's FGSM (uniform start clamped in the graph)."""
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='AdvImageClassifier', attack_mode=attack_mode,
        attack=dict(type='PGD', eps=4, steps=1, step_size=5, keep='last', clamp_in_graph=True),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64)))
    model.train()
    return model


def fast_at_reference_step(model, input, target):
    """main_fast.py's train() for one batch (random_init, n_repeats 1) up to the training loss, on a train-mode model
    that normalises inside (``model(pixels)``): the attack forward and the training forward both in train mode."""
    noise = torch.zeros_like(input).uniform_(-EPS, EPS)
    noise_batch = noise.clone().requires_grad_(True)
    in1 = input + noise_batch
    in1.clamp_(0, 1.0)
    F.cross_entropy(model(in1), target).backward()
    noise = (noise + STEP * torch.sign(noise_batch.grad)).clamp(-EPS, EPS)
    in1 = (input + noise).clamp(0, 1.0)
    return F.cross_entropy(model(in1), target)


def test_train_mode_attack_is_the_fast_at_reference_step():
    torch.manual_seed(1)
    pixels, labels = torch.rand(6, 3, 16, 16), torch.tensor([0, 1, 2, 0, 1, 2])
    reference = bn_classifier('train')
    torch.manual_seed(2)
    expected = fast_at_reference_step(lambda x: reference(from_pixel_space(reference, x), mode='tensor'), pixels,
                                      labels)
    results = {}
    for attack_mode in ('train', 'eval'):
        model = bn_classifier(attack_mode)  # the same weights as the reference's
        torch.manual_seed(2)
        loss = model(from_pixel_space(model, pixels), [DataSample().set_gt_label(int(y)) for y in labels],
                     mode='loss')['loss']
        results[attack_mode] = (loss, model.backbone.bn1.running_mean.clone(), model.backbone.bn1.num_batches_tracked)
    loss, running_mean, tracked = results['train']
    # the reference's loss, and its BN statistics after two train-mode forward passes (attack, training)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(running_mean, reference.backbone.bn1.running_mean, rtol=1e-5, atol=1e-7)
    assert tracked == reference.backbone.bn1.num_batches_tracked == 2
    # the default attacks in eval mode: one update (the training forward) and another loss
    assert results['eval'][2] == 1 and not torch.allclose(results['eval'][0], expected)


def test_attack_mode_is_checked():
    with pytest.raises(ValueError, match="attack_mode must be 'eval' or 'train', got 'test'"):
        bn_classifier('test')


# --- the cyclic learning rate by fractional epoch


def test_piecewise_linear_lr_is_main_fasts_np_interp():
    hook = PiecewiseLinearLRHook(epochs=[0, 1, 6, 12, 15], values=[0, 0.4, 0.04, 0.004, 0.0004])
    group = dict(lr=0.1)
    runner = SimpleNamespace(epoch=0, train_dataloader=[None] * 4, optim_wrapper=SimpleNamespace(param_groups=[group]))
    # main_fast.py: lr_schedule(epoch + (i + 1) / len(train_loader)) before batch i
    for epoch, i, length, expected in ((0, 0, 4, 0.1), (0, 3, 4, 0.4), (3, 1, 4, 0.4 - 0.36 * 2.5 / 5),
                                       (6, 0, 10, 0.04 - 0.036 * 0.1 / 6), (14, 9, 10, 0.0004), (20, 0, 10, 0.0004)):
        runner.epoch, runner.train_dataloader = epoch, [None] * length
        hook.before_train_iter(runner, batch_idx=i)
        assert group['lr'] == pytest.approx(expected)
        assert group['lr'] == pytest.approx(np.interp([epoch + (i + 1) / length], [0, 1, 6, 12, 15],
                                                      [0, 0.4, 0.04, 0.004, 0.0004])[0])
    for epochs, values in (([0, 1], [0.1]), ([1, 0], [0.1, 0.2]), ([0], [0.1]), ([0, 1], [0.1, -1])):
        with pytest.raises(ValueError, match='epochs must increase'):
            PiecewiseLinearLRHook(epochs=epochs, values=values)


# --- progressive resizing


def test_phases_merge_into_the_configs_dataloader():
    hook = ProgressiveResizingHook([dict(begin=2, dataloader=dict(batch_size=4, dataset=dict(pipeline=['b']))),
                                    dict(begin=5, dataloader=dict(batch_size=2))])
    assert [hook.phase_at(e) for e in range(7)] == [None, None, 0, 0, 0, 1, 1]
    base = dict(batch_size=8, num_workers=0, dataset=dict(type='D', pipeline=['a', 'a2']))
    assert hook.dataloader_cfg(base, None) == base
    assert hook.dataloader_cfg(base, 0) == dict(batch_size=4, num_workers=0, dataset=dict(type='D', pipeline=['b']))
    assert hook.dataloader_cfg(base, 1) == dict(batch_size=2, num_workers=0,
                                                dataset=dict(type='D', pipeline=['a', 'a2']))
    assert base == dict(batch_size=8, num_workers=0, dataset=dict(type='D', pipeline=['a', 'a2']))  # untouched
    for phases in ([], [dict(begin=0, dataloader={})], [dict(begin=3, dataloader={}), dict(begin=2, dataloader={})],
                   [dict(begin=2)]):
        with pytest.raises(ValueError, match='phases must be'):
            ProgressiveResizingHook(phases)


def test_progressive_resizing_through_the_runner(tmp_path):
    # 6 classes x 24 train images: epoch 0 at the config's 32 px, batch 24 (6 iterations); epochs 1-2 at 16 px,
    # batch 36 (4 iterations); epoch 3 at 24 px, batch 72 (2 iterations); then a run resumed at epoch 3
    data_root = make_tiny_data(tmp_path / 'data')
    crop = lambda size: [dict(type='LoadImageFromFile'), dict(type='RandomResizedCrop', scale=size),  # noqa: E731
                         dict(type='PackInputs')]
    phases = [dict(begin=1, dataloader=dict(batch_size=36, dataset=dict(pipeline=crop(16)))),
              dict(begin=3, dataloader=dict(batch_size=72, dataset=dict(pipeline=crop(24))))]
    seen = []

    def run(work_dir, epochs, resume=False):
        register_all_modules()
        cfg = tiny_config(data_root, str(work_dir), **{'train_cfg.max_epochs': epochs})
        cfg.custom_hooks = [dict(type='ProgressiveResizingHook', phases=phases)]
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
        cfg.resume = resume
        runner = Runner.from_cfg(cfg)
        runner.model.backbone.register_forward_pre_hook(
            lambda module, args: seen.append((runner.epoch, tuple(args[0].shape[::2]))) if module.training else None)
        runner.train()
        return runner

    runner = run(tmp_path / 'run', 4)
    per_epoch = {epoch: sorted({shape for e, shape in seen if e == epoch}) for epoch in range(4)}
    assert per_epoch == {0: [(24, 32)], 1: [(36, 16)], 2: [(36, 16)], 3: [(72, 24)]}
    assert [sum(e == epoch for e, _ in seen) for epoch in range(4)] == [6, 4, 4, 2]
    assert runner.iter == 16 == runner.train_loop.max_iters
    seen.clear()
    resumed = run(tmp_path / 'run', 5, resume=True)  # picks the phase of epoch 4 from the start
    assert sorted(set(shape for _, shape in seen)) == [(72, 24)] and resumed.iter == 18


# --- AWP along the reference code's loss


def awp_reference_perturbation(model, inputs_adv, targets, gamma, inputs_clean=None, beta=None):
    """csdongxian/AWP utils_awp.py: AdvWeightPerturb.calc_awp (PGD-AT) or TradesAWP.calc_awp (with ``beta``) on a
    train-mode proxy copy, then diff_in_weights scaled by ``gamma``, per conv / linear weight name."""
    proxy = copy.deepcopy(model)
    proxy.train()
    proxy_optim = torch.optim.SGD(proxy.parameters(), lr=0.01)
    logits = lambda x: proxy(x, mode='tensor')  # noqa: E731
    if beta is None:
        loss = -F.cross_entropy(logits(inputs_adv), targets)
    else:
        loss = -(F.cross_entropy(logits(inputs_clean), targets) + beta * F.kl_div(
            F.log_softmax(logits(inputs_adv), dim=1), F.softmax(logits(inputs_clean), dim=1), reduction='batchmean'))
    proxy_optim.zero_grad()
    loss.backward()
    proxy_optim.step()
    old, new = model.state_dict(), proxy.state_dict()
    return {k: gamma * old[k].norm() / ((new[k] - old[k]).norm() + 1e-20) * (new[k] - old[k])
            for k in old if old[k].dim() > 1 and 'weight' in k}


@pytest.mark.parametrize('trades', [False, True])
def test_plain_ce_awp_is_the_reference_perturbation(trades):
    # MPM trains with label smoothing and a part loss; the AWP code's perturbation follows the plain cross entropy
    # (TRADES: plus beta * KL) of the classification logits only
    torch.manual_seed(0)
    model = build_synthetic_mpm(**(dict(robust_loss=dict(type='TRADESLoss', beta=6.0)) if trades else {}))
    model.train()
    original = copy.deepcopy(model)
    seen = []
    inner = model.attack
    model.attack = lambda fn, images, labels: seen.append(inner(fn, images, labels)) or seen[-1]
    data_samples = samples(4)
    labels = torch.tensor([s.gt_label.item() for s in data_samples])
    inputs = from_pixel_space(model, torch.rand(4, 3, 32, 32))
    perturbations = {}
    for loss in ('plain_ce', 'training'):
        model.load_state_dict(original.state_dict())
        hook = AdversarialWeightPerturbationHook(gamma=1e-2, loss=loss)
        model.weight_perturbation = hook
        torch.manual_seed(1)
        model(inputs, data_samples, mode='loss')
        names = {id(p): n for n, p in model.named_parameters()}
        perturbations[loss] = {names[id(w)]: v for w, v in hook.applied}
        hook.restore()
    adversarial = from_pixel_space(model, seen[0])
    expected = awp_reference_perturbation(original, adversarial, labels, 1e-2, inputs, 6.0 if trades else None)
    moved = {k: v for k, v in expected.items() if v.abs().sum() > 0}  # the part head gets no gradient from it
    assert set(perturbations['plain_ce']) == set(moved) and any(k.startswith('part_head') for k in expected)
    for key, value in moved.items():
        torch.testing.assert_close(perturbations['plain_ce'][key], value, rtol=1e-4, atol=1e-7)
    assert set(perturbations['training']) > set(moved)  # the part loss moves the part head too
    assert not torch.allclose(perturbations['training']['head.fc.weight'], moved['head.fc.weight'], rtol=1e-3)


def test_awp_loss_is_checked():
    with pytest.raises(ValueError, match="loss must be 'training' or 'plain_ce', got 'ce'"):
        AdversarialWeightPerturbationHook(loss='ce')
