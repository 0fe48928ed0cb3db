"""Deploy an MPM checkpoint as a plain mmpretrain ``ImageClassifier`` checkpoint."""
import copy
from collections import OrderedDict
from typing import List, Tuple

from mmengine.config import ConfigDict

from mmpart.registry import MODELS
from mmpart.utils.checkpoint_match import describe_mismatch, state_dict_mismatch

from ..classifiers.mpm import MPMClassifier

__all__ = ['mpm_to_cls_checkpoint', 'plain_classifier_cfg']


def plain_classifier_cfg(mpm_model: dict) -> ConfigDict:
    """The plain classifier an MPM model config deploys as.

    Same data preprocessor, backbone, neck and head; no bypass (``part_head``) and no training attack;
    the backbone's ``out_indices`` cut to its last stage, so stage outputs and output norms that exist
    only for the bypass (ConvNeXt / Swin ``norm1``, ``norm2`` with ``out_indices=(1, 2, 3)``) are not
    built. Negative indices (e.g. ConvNeXt's ``-1``) are read from the built backbone, which normalises them.
    """
    cfg = ConfigDict(copy.deepcopy(dict(mpm_model)))
    for key in ('part_head', 'attack'):
        cfg.pop(key, None)
    cfg.type = 'ImageClassifier'
    indices = cfg.backbone.get('out_indices')
    if isinstance(indices, (list, tuple)) and any(index < 0 for index in indices):
        indices = getattr(MODELS.build(cfg.backbone), 'out_indices', None)
    if isinstance(indices, (list, tuple)) and len(indices) > 1:
        cfg.backbone.out_indices = (max(indices), )
    return cfg


def _module_names(keys: List[str]) -> str:
    """Module names of state-dict keys, for messages (``backbone.norm1.weight`` -> ``backbone.norm1``)."""
    return ', '.join(sorted({key.rsplit('.', 1)[0] for key in keys}))


def mpm_to_cls_checkpoint(checkpoint: dict, mpm_model: dict, use_ema: bool = True) -> Tuple[dict, str]:
    """The plain classifier's weights of an MPM checkpoint, and a description of what was kept.

    mmengine's ``EMAHook`` saves the averaged weights as ``state_dict`` and the raw ones as
    ``ema_state_dict`` (keys ``module.<name>``); a checkpoint without ``ema_state_dict`` has only the
    raw weights. The result holds exactly the keys of :func:`plain_classifier_cfg` of ``mpm_model``, so
    it loads with ``strict=True`` into a plain config of the same backbone whose ``out_indices`` is the
    last stage only (e.g. ``configs/baseline/baseline_r50.py``, ``baseline_convnext-t.py``); what is left
    behind must be the bypass or backbone outputs only the bypass reads.

    Args:
        checkpoint: an mmengine checkpoint (``state_dict`` [, ``ema_state_dict``, ``meta``]) or a bare
            state dict.
        mpm_model: the ``model`` config of the MPM run (mmengine saves the whole config in
            ``checkpoint['meta']['cfg']``).
        use_ema: take the EMA weights when the checkpoint has them; False takes the raw weights.

    Returns:
        ``dict(state_dict=..., meta=...)`` and a description of the weights used and left behind.
    """
    state = checkpoint.get('state_dict', checkpoint)
    ema = checkpoint.get('ema_state_dict')
    if ema is None:
        source = 'model weights (the checkpoint has no EMA)'
    elif use_ema:
        source = 'EMA weights'
    else:
        state = {key[len('module.'):]: value for key, value in ema.items() if key.startswith('module.')}
        source = 'raw (non-EMA) weights'
    if not any(key.startswith(MPMClassifier.bypass_prefixes) for key in state):
        raise ValueError(f'no bypass weights ({", ".join(MPMClassifier.bypass_prefixes)}) in the checkpoint: '
                         'is it an MPMClassifier checkpoint?')
    expected = MODELS.build(plain_classifier_cfg(mpm_model)).state_dict()
    mismatch = state_dict_mismatch(expected, state)
    left = mismatch.pop('unexpected', [])
    foreign = [key for key in left if not key.startswith(MPMClassifier.bypass_prefixes + ('backbone.', ))]
    if foreign:
        mismatch['neither bypass nor backbone'] = foreign
    if mismatch:
        raise ValueError(f'the checkpoint does not fit the MPM config:\n{describe_mismatch(mismatch)}')
    plain_state = OrderedDict((key, state[key]) for key in expected if key in state)
    bypass_only = [key for key in left if key.startswith('backbone.')]
    meta = dict(checkpoint.get('meta') or {})
    meta.pop('cfg', None)  # the MPM run's config does not describe the converted model
    meta.update(converted_from='MPMClassifier', weights=source)
    description = f'{source}; left behind: {len(left) - len(bypass_only)} bypass tensors'
    if bypass_only:
        description += f' and the backbone outputs only the bypass reads ({_module_names(bypass_only)})'
    return dict(state_dict=plain_state, meta=meta), description
