"""StrictLoadHook: a load_from / resume checkpoint must fit the model exactly, or the run stops naming it."""
from types import SimpleNamespace

import pytest
import torch.nn as nn

from mmpart.engine.hooks import StrictLoadHook
from mmpart.utils.checkpoint_match import CheckpointMismatchError


def runner_for(model: nn.Module) -> SimpleNamespace:
    return SimpleNamespace(model=model, _load_from='work_dirs/x/epoch_1.pth', work_dir='work_dirs/x')


def test_a_checkpoint_of_the_model_passes_with_or_without_the_ddp_prefix():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    StrictLoadHook().after_load_checkpoint(runner_for(model), dict(state_dict=model.state_dict()))
    ddp = {f'module.{key}': value for key, value in model.state_dict().items()}
    StrictLoadHook().after_load_checkpoint(runner_for(model), dict(state_dict=ddp))
    old = {key: value for key, value in model.state_dict().items() if not key.endswith('num_batches_tracked')}
    StrictLoadHook().after_load_checkpoint(runner_for(model), dict(state_dict=old))


def test_missing_unexpected_and_reshaped_keys_stop_the_run():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    other = nn.Sequential(nn.Conv2d(3, 5, 1), nn.Identity(), nn.Linear(2, 2))
    with pytest.raises(CheckpointMismatchError) as error:
        StrictLoadHook().after_load_checkpoint(runner_for(model), dict(state_dict=other.state_dict()))
    message = str(error.value)
    assert message.startswith('checkpoint work_dirs/x/epoch_1.pth does not fit the Sequential of the config')
    assert 'missing (4): 1.weight, 1.bias, 1.running_mean, 1.running_var' in message
    assert 'unexpected (2): 2.weight, 2.bias' in message
    assert 'shape mismatch (2): 0.weight (5, 3, 1, 1) (model (4, 3, 1, 1)), 0.bias (5,) (model (4,))' in message
    assert 'default_hooks.strict_load=None' in message
    assert StrictLoadHook.priority == 'VERY_HIGH'  # before EMAHook copies the checkpoint into its averaged model
