"""Base of the small few-shot backbones: a plain sequence of stages with multi-scale outputs."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ['StagedBackbone']


class StagedBackbone(BaseBackbone):
    """Runs ``self.stages`` in order and returns the outputs of the stages in ``out_indices``.

    Subclasses build ``self.stages`` (an ``nn.ModuleList``) before calling :meth:`_check_out_indices`.

    Args:
        out_indices: stages whose outputs are returned, fine to coarse (e.g. ``(1, 2, 3)`` for an MPM
            bypass; ``(3, )`` for a classifier).
        norm_eval: keep the norm layers in eval mode (frozen statistics) while training.
        init_cfg: weight initialisation.
    """

    def __init__(self, out_indices: Sequence[int], norm_eval: bool, init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval

    def _check_out_indices(self) -> None:
        num = len(self.stages)
        indices = [i % num if -num <= i < num else None for i in self.out_indices]
        if None in indices or list(indices) != sorted(set(indices)):
            raise ValueError(f'{type(self).__name__}: out_indices must be increasing stage indices in '
                             f'[-{num}, {num}), got {self.out_indices}')
        self.out_indices = tuple(indices)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'StagedBackbone':
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self


def conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    """3×3 convolution, padding 1, no bias (a norm layer follows)."""
    return nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
