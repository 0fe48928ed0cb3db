"""AttackStepRampHook: the PGD-AT step size ramps linearly from 0 over the first epochs."""
from types import SimpleNamespace

import pytest
import torch.nn as nn

from mmpart.attacks import PGD
from mmpart.engine.hooks import AttackStepRampHook


def runner_with(model, iters_per_epoch=10):
    return SimpleNamespace(model=model, iter=0, epoch=0, train_dataloader=[None] * iters_per_epoch)


def model_with_attack(attack):
    model = nn.Linear(1, 1)
    model.attack = attack
    return model


def test_ramp_values_and_restore():
    attack = PGD(eps=4, steps=2, step_size=4)
    runner = runner_with(model_with_attack(attack))
    hook = AttackStepRampHook(warmup_epochs=2)
    hook.before_train(runner)
    steps = {}
    for it in (0, 5, 10, 15, 20, 35):
        runner.iter, runner.epoch = it, it // 10
        hook.before_train_iter(runner, batch_idx=it % 10)
        steps[it] = attack.step_size
    assert steps == {0: 0.0, 5: 1.0, 10: 2.0, 15: 3.0, 20: 4.0, 35: 4.0}
    hook.after_train(runner)
    assert attack.step_size == 4


def test_resumed_run_continues_the_ramp():
    attack = PGD(eps=4, steps=2, step_size=4)
    runner = runner_with(model_with_attack(attack), iters_per_epoch=4)
    runner.iter, runner.epoch = 6, 1  # resumed in the middle of the second epoch
    hook = AttackStepRampHook(warmup_epochs=2)
    hook.before_train(runner)
    hook.before_train_iter(runner, batch_idx=2)
    assert attack.step_size == pytest.approx(3.0)


def test_staircase_per_epoch_as_the_pin_reference():
    # adv_train.py: att_step = attack_step * min(epoch, warmup_epochs) / warmup_epochs, set once per epoch
    attack = PGD(eps=4, steps=2, step_size=4)
    runner = runner_with(model_with_attack(attack))
    hook = AttackStepRampHook(warmup_epochs=2, by_epoch=True)
    hook.before_train(runner)
    steps = {}
    for it in (0, 9, 10, 19, 20, 35):
        runner.iter, runner.epoch = it, it // 10
        hook.before_train_iter(runner, batch_idx=it % 10)
        steps[it] = attack.step_size
    assert steps == {0: 0.0, 9: 0.0, 10: 2.0, 19: 2.0, 20: 4.0, 35: 4.0}
    runner.iter, runner.epoch = 3, 1  # the epoch decides, not the iteration count (e.g. a resized dataloader)
    hook.before_train_iter(runner, batch_idx=3)
    assert attack.step_size == 2.0
    hook.after_train(runner)
    assert attack.step_size == 4


def test_needs_an_attack_with_a_step():
    with pytest.raises(TypeError, match='attack'):
        AttackStepRampHook().before_train(runner_with(model_with_attack(None)))
    with pytest.raises(ValueError):
        AttackStepRampHook(warmup_epochs=0)
