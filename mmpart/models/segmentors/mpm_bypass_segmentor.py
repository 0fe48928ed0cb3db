"""An MPM classifier's backbone + part bypass as an mmseg segmentor, to score its part masks with mmseg."""
from typing import MutableMapping

from mmseg.models.segmentors import EncoderDecoder

from mmpart.registry import MODELS

__all__ = ['MPMBypassSegmentor']


@MODELS.register_module()
class MPMBypassSegmentor(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` that loads :class:`MPMClassifier` checkpoints as they are.

    The MPM checkpoint's ``backbone.*`` weights go to the backbone and its ``part_head.*`` (the bypass) to
    ``decode_head``; the classifier's ``head.*`` is left out (:meth:`convert_mpm_keys`). So ``tools/test.py``
    on a config with the MPM's backbone and part head (e.g. ``configs/partseg/mpm-bypass_r50_pinpp.py``)
    scores a trained MPM's bypass with mmseg's ``IoUMetric``, in the same table as FPN, DeepLabv3 or
    SegFormer. Checkpoints of this segmentor (``decode_head.*``) load as usual. Arguments are those of
    ``EncoderDecoder``.
    """

    @staticmethod
    def convert_mpm_keys(state_dict: MutableMapping, prefix: str = '') -> MutableMapping:
        """Rename ``<prefix>part_head.*`` to ``<prefix>decode_head.*`` and drop ``<prefix>head.*``, in place."""
        for key in [k for k in state_dict if k.startswith(prefix)]:
            name = key[len(prefix):]
            if name.startswith('part_head.'):
                state_dict[f'{prefix}decode_head.{name[len("part_head."):]}'] = state_dict.pop(key)
            elif name.startswith('head.'):
                del state_dict[key]
        return state_dict

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        super()._load_from_state_dict(self.convert_mpm_keys(state_dict, prefix), prefix, *args, **kwargs)
