"""Whether a checkpoint's state dict fits a model exactly: keys and shapes."""
from typing import Dict, List, Mapping

import torch

__all__ = ['CheckpointMismatchError', 'check_state_dict_matches', 'describe_mismatch', 'state_dict_mismatch']


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's keys or shapes differ from the model it is loaded into."""


def state_dict_mismatch(expected: Mapping[str, torch.Tensor],
                        loaded: Mapping[str, torch.Tensor]) -> Dict[str, List[str]]:
    """Keys of ``expected`` (a model's state dict) missing from ``loaded``, unexpected keys of ``loaded``, and
    shape mismatches; only the non-empty groups. ``num_batches_tracked`` may be missing (old checkpoints lack
    it; mmengine's loader ignores it too)."""
    missing = [key for key in expected if key not in loaded and not key.endswith('num_batches_tracked')]
    unexpected = [key for key in loaded if key not in expected]
    shapes = [f'{key} {tuple(loaded[key].shape)} (model {tuple(value.shape)})' for key, value in expected.items()
              if key in loaded and tuple(loaded[key].shape) != tuple(value.shape)]
    groups = (('missing', missing), ('unexpected', unexpected), ('shape mismatch', shapes))
    return {name: keys for name, keys in groups if keys}


def describe_mismatch(mismatch: Mapping[str, List[str]], limit: int = 5) -> str:
    """One line per group: its size and its first ``limit`` entries."""
    return '\n'.join(f'  {name} ({len(keys)}): {", ".join(keys[:limit])}{", ..." if len(keys) > limit else ""}'
                     for name, keys in mismatch.items())


def check_state_dict_matches(model: torch.nn.Module, loaded: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise :class:`CheckpointMismatchError` naming ``source`` unless ``loaded`` has exactly the model's keys
    and shapes."""
    mismatch = state_dict_mismatch(model.state_dict(), loaded)
    if mismatch:
        raise CheckpointMismatchError(
            f'{source} does not fit the {type(model).__name__} of the config:\n{describe_mismatch(mismatch)}\n'
            'Point load_from at a checkpoint of this model (for an MPM of another backbone: its own stage-1 run, '
            'e.g. work_dirs/<config>_init/epoch_1.pth), or remove the check with '
            '--cfg-options default_hooks.strict_load=None to initialise from another model on purpose.')
