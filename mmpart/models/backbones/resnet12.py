"""ResNet-12, the standard few-shot backbone (TADAM, MetaOptNet, RFS, Meta-Baseline)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer

from mmpart.registry import MODELS

from .staged_backbone import StagedBackbone, conv3x3

__all__ = ['ResNet12']


class ResNet12Block(nn.Module):
    """Three 3×3 conv + norm layers (activations between), a 1×1 conv + norm shortcut, activation, 2×2 max-pool."""

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        layers = []
        for i in range(3):
            layers += [conv3x3(in_channels if i == 0 else out_channels, out_channels),
                       build_norm_layer(norm_cfg, out_channels)[1]]
            if i < 2:
                layers.append(build_activation_layer(act_cfg))
        self.residual = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                      build_norm_layer(norm_cfg, out_channels)[1])
        self.activate = build_activation_layer(act_cfg)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.activate(self.residual(x) + self.shortcut(x)))


@MODELS.register_module()
class ResNet12(StagedBackbone):
    """ResNet-12: four residual blocks of three 3×3 convs, widths 64-160-320-640, a max-pool per block.

    As in Meta-Baseline's code (no DropBlock): LeakyReLU(0.1), BN, Kaiming-normal convs. An 84×84 image
    gives 42², 21², 10², 5² maps; global average pooling of the last gives the 640-d few-shot feature.
    ``out_indices=(1, 2, 3)`` feeds an MPM part bypass (``in_channels=[160, 320, 640]``).

    Args:
        widths: output channels of the four blocks.
        out_indices: blocks whose outputs are returned.
        in_channels: input channels.
        norm_cfg: norm layer config.
        act_cfg: activation config.
        norm_eval: freeze norm statistics while training.
        init_cfg: weight initialisation (default: Kaiming-normal convs for LeakyReLU 0.1, fan out; BN as PyTorch's:
            unit weights, zero biases).
    """

    def __init__(self, widths: Sequence[int] = (64, 160, 320, 640), out_indices: Sequence[int] = (3, ),
                 in_channels: int = 3, norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 norm_eval: bool = False, init_cfg=None) -> None:
        if init_cfg is None:  # BN keeps PyTorch's unit weights and zero biases
            init_cfg = dict(type='Kaiming', layer='Conv2d', a=0.1, mode='fan_out', nonlinearity='leaky_relu')
        super().__init__(out_indices, norm_eval, init_cfg)
        norm_cfg = dict(type='BN') if norm_cfg is None else norm_cfg
        act_cfg = dict(type='LeakyReLU', negative_slope=0.1) if act_cfg is None else act_cfg
        if len(widths) != 4:
            raise ValueError(f'ResNet12 has 4 blocks, got widths {tuple(widths)}')
        channels = (in_channels, *widths)
        self.stages = nn.ModuleList(ResNet12Block(channels[i], channels[i + 1], norm_cfg, act_cfg) for i in range(4))
        self._check_out_indices()
