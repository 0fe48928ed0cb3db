"""Whether a checkpoint fits a model exactly (keys and shapes), and loading one that must.

mmengine (``load_from``, ``load_checkpoint``) and mmdet's ``init_detector`` load non-strictly: a checkpoint of
another model loads with warnings, missing layers keep their random initialisation, and the run goes on. Every
mmpart path that loads a checkpoint into the model of a config refuses one that does not fit, through
:func:`check_checkpoint_fits` and one message: :class:`~mmpart.engine.hooks.StrictLoadHook` (``tools/train.py``,
``tools/test.py`` and the tools built on runners), :func:`load_checkpoint_exactly` (``mmpart.apis.init_model``
and its inferencer, ``demo/image_demo.py``, pseudo labelling, part discovery).
"""
import copy
import itertools
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch
from mmengine.runner.checkpoint import _load_checkpoint

__all__ = ['CheckpointMismatchError', 'check_checkpoint_fits', 'describe_mismatch',
           'load_checkpoint_exactly', 'model_state_dict_mismatch', 'state_dict_mismatch']

#: the part bypass of an MPM checkpoint, which a plain classifier does not have
BYPASS_PREFIX = 'part_head.'


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's keys or shapes differ from the model it is loaded into."""


def state_dict_mismatch(expected: Mapping[str, torch.Tensor],
                        loaded: Mapping[str, torch.Tensor]) -> Dict[str, List[str]]:
    """Keys of ``expected`` (a model's state dict) missing from ``loaded``, unexpected keys of ``loaded``, and
    shape mismatches; only the non-empty groups. ``num_batches_tracked`` may be missing (old checkpoints lack
    it; mmengine's loader ignores it too)."""
    missing = [key for key in expected if key not in loaded and not key.endswith('num_batches_tracked')]
    unexpected = [key for key in loaded if key not in expected]
    shapes = [_shape_mismatch(key, loaded[key], value) for key, value in expected.items()
              if key in loaded and tuple(loaded[key].shape) != tuple(value.shape)]
    return _groups(missing, unexpected, shapes)


def model_state_dict_mismatch(model: torch.nn.Module, loaded: Mapping[str, torch.Tensor]) -> Dict[str, List[str]]:
    """:func:`state_dict_mismatch` as the model's own loading sees ``loaded``.

    A model may rename or reshape a checkpoint's tensors while it loads them (an ``_load_from_state_dict``
    override such as ``MPMBypassSegmentor``'s, which loads MPM checkpoints; a load pre-hook such as a ViT's
    position-embedding resize). So the comparison runs torch's ``load_state_dict`` on a weightless (meta)
    copy of the model: its conversions apply, the model itself is left untouched.
    """
    memo = {}  # every parameter and buffer becomes a meta tensor of its shape: the copy costs no memory
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        meta = torch.empty_like(tensor, device='meta')
        memo[id(tensor)] = torch.nn.Parameter(meta, tensor.requires_grad) if isinstance(
            tensor, torch.nn.Parameter) else meta
    probe = copy.deepcopy(model, memo)
    found: dict = dict(shapes=[])

    def record(module, state_dict, prefix, local_metadata, strict, missing, unexpected, error_msgs) -> None:
        # runs after the module's own conversions (hooks run in registration order) and sees torch's lists
        found.setdefault('missing', missing)
        found.setdefault('unexpected', unexpected)
        persistent = {k: v for k, v in module._buffers.items() if k not in module._non_persistent_buffers_set}
        for name, tensor in itertools.chain(module._parameters.items(), persistent.items()):
            key = prefix + name
            if (tensor is not None and key in state_dict and not torch.nn.parameter.is_lazy(tensor)
                    and tuple(state_dict[key].shape) != tuple(tensor.shape)):
                found['shapes'].append(_shape_mismatch(key, state_dict[key], tensor))

    for module in probe.modules():
        module.register_load_state_dict_pre_hook(record)
    try:
        probe.load_state_dict(loaded, strict=False, assign=True)
    except RuntimeError:
        if not found['shapes']:  # an error other than the shape mismatches torch refuses to load
            raise
    missing = [key for key in found.get('missing', []) if not key.endswith('num_batches_tracked')]
    return _groups(missing, found.get('unexpected', []), found['shapes'])


def describe_mismatch(mismatch: Mapping[str, List[str]], limit: int = 5) -> str:
    """One line per group: its size and its first ``limit`` entries."""
    return '\n'.join(f'  {name} ({len(keys)}): {", ".join(keys[:limit])}{", ..." if len(keys) > limit else ""}'
                     for name, keys in mismatch.items())


def checkpoint_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """The model weights of an mmengine checkpoint (or of a bare state dict), without the ``module.`` prefix
    of a DDP-wrapped model, as mmengine's loader strips it (torch's version metadata kept)."""
    state = checkpoint.get('state_dict', checkpoint)
    revised = OrderedDict((re.sub(r'^module\.', '', key), value) for key, value in state.items())
    revised._metadata = getattr(state, '_metadata', OrderedDict())  # type: ignore[attr-defined]
    return revised


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: Mapping, source: str) -> None:
    """Raise :class:`CheckpointMismatchError` naming ``source`` (e.g. ``'checkpoint work_dirs/x/epoch_1.pth'``)
    unless ``checkpoint`` (an mmengine checkpoint or a state dict) has exactly the model's keys and shapes.

    The message lists what differs, says what the checkpoint is where that is known (an MPM checkpoint for a
    plain classifier or the reverse: ``tools/model_converters/mpm_to_cls.py``; the run that saved it) and how
    to pass the right one."""
    state = checkpoint_state_dict(checkpoint)
    mismatch = model_state_dict_mismatch(model, state)
    if not mismatch:
        return
    lines = [f'{source} does not fit the {type(model).__name__} of the config:', describe_mismatch(mismatch)]
    model_bypass = any(key.startswith(BYPASS_PREFIX) for key in model.state_dict())
    checkpoint_bypass = any(key.startswith(BYPASS_PREFIX) for key in state)
    if checkpoint_bypass and not model_bypass and _has_bypass(mismatch.get('unexpected')):
        lines.append('It is an MPM checkpoint (part bypass part_head.*) and the config builds a plain classifier: '
                     'use the MPM config it was trained with, or deploy it first with '
                     'tools/model_converters/mpm_to_cls.py (its output loads into configs/baseline/ of its backbone).')
    elif model_bypass and not checkpoint_bypass and _has_bypass(mismatch.get('missing')):
        lines.append('The config builds an MPM (part bypass part_head.*) and the checkpoint has no bypass: it is a '
                     "plain classifier's (as tools/model_converters/mpm_to_cls.py writes them); use the plain config "
                     'of its backbone (configs/baseline/), or the MPM checkpoint it was converted from.')
    experiment = (checkpoint.get('meta') or {}).get('experiment_name') if isinstance(checkpoint, Mapping) else None
    saved_by = f' (this one was saved by the run {experiment})' if isinstance(experiment, str) else ''
    lines.append(f'Pass a checkpoint of this config\'s model{saved_by}: the CHECKPOINT argument of the tools, '
                 'load_from in a config. To initialise a training run from another model on purpose (for an MPM '
                 'of another backbone: its own stage-1 run, e.g. work_dirs/<config>_init/epoch_1.pth), remove the '
                 'check with --cfg-options default_hooks.strict_load=None.')
    raise CheckpointMismatchError('\n'.join(lines))


def load_checkpoint_exactly(model: torch.nn.Module, filename: str, map_location: Optional[str] = 'cpu') -> dict:
    """Load ``filename`` into ``model`` after :func:`check_checkpoint_fits`; return the checkpoint (its ``meta``
    holds ``dataset_meta``). mmengine's schemes read the file (local paths through mmpart's safe loader)."""
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'checkpoint {filename}: no state dict in it (a {type(checkpoint).__name__})')
    check_checkpoint_fits(model, checkpoint, f'checkpoint {filename}')
    model.load_state_dict(checkpoint_state_dict(checkpoint), strict=False)  # checked: only num_batches_tracked
    return checkpoint


def _shape_mismatch(key: str, loaded: torch.Tensor, expected: torch.Tensor) -> str:
    return f'{key} {tuple(loaded.shape)} (model {tuple(expected.shape)})'


def _has_bypass(keys: Optional[List[str]]) -> bool:
    return any(key.startswith(BYPASS_PREFIX) for key in keys or [])


def _groups(missing: List[str], unexpected: List[str], shapes: List[str]) -> Dict[str, List[str]]:
    groups = (('missing', missing), ('unexpected', unexpected), ('shape mismatch', shapes))
    return {name: list(keys) for name, keys in groups if keys}
