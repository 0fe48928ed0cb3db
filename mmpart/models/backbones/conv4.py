"""Conv-4, the four-block ConvNet of Matching / Prototypical Networks and MAML."""
from typing import Optional, Sequence

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer

from mmpart.registry import MODELS

from .staged_backbone import StagedBackbone, conv3x3

__all__ = ['Conv4']


@MODELS.register_module()
class Conv4(StagedBackbone):
    """Four blocks of 3×3 conv (64 channels), BN, ReLU, 2×2 max-pool.

    An 84×84 image gives a 64×5×5 map: Prototypical Networks compare the flattened 1,600-d vectors
    (no neck before :class:`ProtoNetHead`, which flattens).

    Args:
        channels: output channels of the four blocks.
        out_indices: blocks whose outputs are returned.
        in_channels: input channels.
        norm_cfg: norm layer config.
        act_cfg: activation config.
        norm_eval: freeze norm statistics while training.
        init_cfg: weight initialisation (default: PyTorch's).
    """

    def __init__(self, channels: Sequence[int] = (64, 64, 64, 64), out_indices: Sequence[int] = (3, ),
                 in_channels: int = 3, norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 norm_eval: bool = False, init_cfg=None) -> None:
        super().__init__(out_indices, norm_eval, init_cfg)
        norm_cfg = dict(type='BN') if norm_cfg is None else norm_cfg
        act_cfg = dict(type='ReLU', inplace=True) if act_cfg is None else act_cfg
        if len(channels) != 4:
            raise ValueError(f'Conv4 has 4 blocks, got channels {tuple(channels)}')
        widths = (in_channels, *channels)
        self.stages = nn.ModuleList(
            nn.Sequential(conv3x3(widths[i], widths[i + 1]), build_norm_layer(norm_cfg, widths[i + 1])[1],
                          build_activation_layer(act_cfg), nn.MaxPool2d(2)) for i in range(4))
        self._check_out_indices()
