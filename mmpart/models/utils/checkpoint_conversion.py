"""Bring other codebases' checkpoints into mmpart models: map the keys by a table, report every tensor left behind
and why, and refuse a checkpoint of another architecture (missing, unknown or mis-shaped tensors) naming the file.

The tables of each source layout are in :mod:`.checkpoint_layouts`; the converters in ``tools/model_converters/``
only pick a table and a target. A conversion is checked by logits in ``tests/test_model_converters/``.
"""
import argparse
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch

from mmpart.utils.atomic_io import atomic_write
from mmpart.utils.checkpoint_match import describe_mismatch, state_dict_mismatch
from mmpart.utils.checkpoint_safety import safe_load_checkpoint

__all__ = [
    'ForeignCheckpointError', 'KeyMap', 'Conversion', 'convert_file', 'convert_state_dict', 'converter_parser',
    'load_source_checkpoint', 'unwrap_state_dict', 'save_converted', 'target_state_dict'
]

#: (regular expression a whole key must match, replacement with ``\1``-style groups)
Rule = Tuple[str, str]
#: (regular expression a whole key must match, why those tensors are not needed)
Reason = Tuple[str, str]


class ForeignCheckpointError(ValueError):
    """A checkpoint whose tensors do not make up the target architecture."""


@dataclass(frozen=True)
class KeyMap:
    """How the state dict of one source layout becomes an mmpart model's.

    Args:
        source: the layout's name, for messages (``'torchvision ResNet'``).
        rules: source key → target key; the first rule whose pattern matches the whole key applies.
        left_behind: source tensors the target does not have, each with the reason (printed, never silent).
        derived: target tensors that the target computes from its configuration (index buffers), each with the
            reason; a source that lacks them gets the freshly built target's values.
        values: target key pattern → function of the source tensor giving the target tensor (layout changes).
    """

    source: str
    rules: Sequence[Rule]
    left_behind: Sequence[Reason] = ()
    derived: Sequence[Reason] = ()
    values: Sequence[Tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = ()

    def target_key(self, key: str) -> Optional[str]:
        """The target key of a source key, or None if no rule matches."""
        for pattern, replacement in self.rules:
            match = re.fullmatch(pattern, key)
            if match:
                return match.expand(replacement)
        return None


def _first_reason(key: str, reasons: Iterable[Reason]) -> Optional[str]:
    return next((reason for pattern, reason in reasons if re.fullmatch(pattern, key)), None)


@dataclass
class Conversion:
    """A converted state dict and what happened to every source tensor."""

    state_dict: 'OrderedDict[str, torch.Tensor]'
    mapped: int
    left_behind: Dict[str, List[str]] = field(default_factory=dict)  # reason -> source keys
    derived: Dict[str, List[str]] = field(default_factory=dict)  # reason -> target keys taken from the target

    def summary(self) -> str:
        """What was mapped, left behind (by reason) and taken from the target, one line each."""
        lines = [f'mapped {self.mapped} tensors']
        lines += [f'left behind {len(keys)} ({reason}): {_modules(keys)}' for reason, keys in self.left_behind.items()]
        lines += [f'taken from the mmpart model {len(keys)} ({reason}): {_modules(keys)}'
                  for reason, keys in self.derived.items()]
        return '\n'.join(lines)


def _modules(keys: Sequence[str], limit: int = 6) -> str:
    """Module names of state-dict keys, shortened for printing."""
    names = list(OrderedDict.fromkeys(key.rsplit('.', 1)[0] for key in keys))
    return ', '.join(names[:limit]) + (f', ... ({len(names)} modules)' if len(names) > limit else '')


def convert_state_dict(source: Mapping[str, torch.Tensor], key_map: KeyMap, target: Mapping[str, torch.Tensor],
                       origin: str, target_name: str) -> Conversion:
    """Map ``source`` onto the keys of ``target`` (the state dict of the mmpart model to fill).

    Every source tensor is mapped by a rule or left behind for a stated reason; every target tensor is filled
    with the right shape (``num_batches_tracked`` and ``derived`` buffers may come from the target). Anything
    else means the checkpoint is of another architecture: :class:`ForeignCheckpointError` naming ``origin``
    (the file) lists what did not fit.
    """
    converted: Dict[str, torch.Tensor] = {}
    left_behind: Dict[str, List[str]] = {}
    unknown, duplicates = [], []
    for key, value in source.items():
        new_key = key_map.target_key(key)
        if new_key is None:
            reason = _first_reason(key, key_map.left_behind)
            if reason is None:
                unknown.append(key)
            else:
                left_behind.setdefault(reason, []).append(key)
            continue
        if new_key in converted:
            duplicates.append(f'{key} -> {new_key}')
        transform = next((fn for pattern, fn in key_map.values if re.fullmatch(pattern, new_key)), None)
        converted[new_key] = transform(value) if transform else value
    derived: Dict[str, List[str]] = {}
    for key in target:
        reason = _first_reason(key, key_map.derived)
        if key not in converted and reason is not None:
            converted[key] = target[key]
            derived.setdefault(reason, []).append(key)
    mismatch = state_dict_mismatch(target, converted)
    mismatch.pop('unexpected', None)  # reported as the source keys no rule maps, below
    if unknown:
        mismatch['tensors of the checkpoint that no rule maps'] = unknown
    if duplicates:
        mismatch['tensors mapped twice'] = duplicates
    extra = [key for key in converted if key not in target]
    if extra:
        mismatch['mapped to keys the mmpart model does not have'] = extra
    if mismatch:
        raise ForeignCheckpointError(
            f'{origin}: not a {key_map.source} checkpoint of a {target_name}, refusing to convert it:\n'
            f'{describe_mismatch(mismatch)}')
    ordered = OrderedDict((key, converted[key]) for key in target if key in converted)
    return Conversion(ordered, len(source) - sum(map(len, left_behind.values())), left_behind, derived)


def load_source_checkpoint(path: str, allowed_globals: Sequence[type] = ()) -> dict:
    """A checkpoint file read with ``weights_only=True`` (mmpart's allowlist plus ``allowed_globals``, e.g.
    ``argparse.Namespace`` for timm's training checkpoints, which save their arguments)."""
    with torch.serialization.safe_globals(list(allowed_globals)):
        checkpoint = safe_load_checkpoint(path, map_location='cpu')
    if not isinstance(checkpoint, Mapping):
        raise ForeignCheckpointError(f'{path}: holds a {type(checkpoint).__name__}, not a state dict or a '
                                     'checkpoint dict')
    return dict(checkpoint)


def unwrap_state_dict(checkpoint: Mapping, path: str, containers: Sequence[str] = ('state_dict', 'model'),
                      prefixes: Sequence[str] = ('module.', )) -> Tuple['OrderedDict[str, torch.Tensor]', str]:
    """The tensors of a checkpoint: the first of ``containers`` it has (else the checkpoint itself), with each
    of ``prefixes`` (DataParallel's ``module.``, ...) removed in turn from the keys that start with it; and where
    they were (``"checkpoint['state_dict']"`` or ``'the whole file'``)."""
    container = next((name for name in containers if isinstance(checkpoint.get(name), Mapping)), None)
    state = checkpoint if container is None else checkpoint[container]
    tensors = OrderedDict()
    for key, value in state.items():
        if not torch.is_tensor(value):
            raise ForeignCheckpointError(f'{path}: entry {key!r} is a {type(value).__name__}, not a tensor; '
                                         f'expected a state dict (or one under {" / ".join(containers)})')
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix):]
        tensors[key] = value
    return tensors, 'the whole file' if container is None else f'checkpoint[{container!r}]'


def target_state_dict(model_cfg: dict) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict of the mmpart model a config builds (random weights; shapes and derived buffers)."""
    from mmengine.registry import DefaultScope

    from mmpart.registry import MODELS
    from mmpart.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmpart'):
        return MODELS.build(model_cfg).state_dict()


def save_converted(path: str, state_dict: Mapping[str, torch.Tensor], meta: dict) -> None:
    """Write ``dict(state_dict=..., meta=...)`` (what mmengine's ``load_checkpoint`` reads) atomically."""
    with atomic_write(path) as f:
        torch.save(dict(state_dict=OrderedDict(state_dict), meta=meta), f)


def convert_file(src: str, dst: str, key_map: KeyMap, model_cfg: dict, target_name: str,
                 containers: Sequence[str] = ('state_dict', 'model'), allowed_globals: Sequence[type] = ()) -> str:
    """Load ``src`` safely, convert its state dict (from the first of ``containers`` it has) to the model of
    ``model_cfg`` and write it to ``dst``; returns the report to print."""
    state, where = unwrap_state_dict(load_source_checkpoint(src, allowed_globals), src, containers)
    conversion = convert_state_dict(state, key_map, target_state_dict(model_cfg), src, target_name)
    meta = dict(converted_from=key_map.source, source=src, architecture=target_name)
    save_converted(dst, conversion.state_dict, meta)
    return f'{dst}: {target_name} from {where} of {src}\n{conversion.summary()}'


def converter_parser(description: str) -> argparse.ArgumentParser:
    """The arguments every converter takes: the source file and the output file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='the checkpoint to convert')
    parser.add_argument('dst', help='where to write the mmpart checkpoint (written atomically)')
    return parser
