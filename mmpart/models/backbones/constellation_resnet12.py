"""ResNet-12 with ConstellationNet's constellation modules (Xu et al., ICLR 2021), optionally Y-branched."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpart.registry import MODELS

from .constellation_modules import ConstellationConv

__all__ = ['ConstellationResNet12']

Flags = Sequence[Sequence[bool]]
NO_FLAGS = ((False, False, False), ) * 4


class ConstellationBlock(nn.Module):
    """A ResNet-12 block whose three 3×3 convolutions are :class:`ConstellationConv` (plain where not flagged)."""

    def __init__(self, in_channels: int, out_channels: int, clustering: Sequence[bool], attention: Sequence[bool],
                 module_cfg: dict, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            ConstellationConv(in_channels if i == 0 else out_channels, out_channels, clustering[i], attention[i],
                              **module_cfg) for i in range(3))
        self.norms = nn.ModuleList(build_norm_layer(norm_cfg, out_channels)[1] for _ in range(3))
        self.activate = build_activation_layer(act_cfg)
        self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                      build_norm_layer(norm_cfg, out_channels)[1])
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor, cluster_features: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        out = x
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            out = norm(conv(out, cluster_features))
            if i < 2:
                out = self.activate(out)
        return self.pool(self.activate(out + self.shortcut(x)))


@MODELS.register_module()
class ConstellationResNet12(BaseBackbone):
    """ResNet-12 (four blocks of three 3×3 convs, a 1×1 shortcut, max-pool) with constellation modules.

    ``clustering[b][i]`` / ``attention[b][i]`` make the i-th convolution of block b a
    :class:`ConstellationConv` with cell-feature clustering / cell-relation attention. With
    ``branch_stage=s`` the network is ConstellationNet's Y-branch ("multi-branch"): blocks ``0..s-1`` are
    shared, then two copies of blocks ``s..3`` follow — branch 1 with the flagged constellation modules
    (trained by classification) and branch 2 plain (trained episodically) — and the outputs are the two
    branches' last maps. Without ``branch_stage``, one branch and its last map.

    Defaults are the official miniImageNet configuration (``res12-ybranch-mini.yaml``): widths 64-128-256-290
    (the "param-reduced" ResNet-12, 8.4M parameters with the modules), clustering in the first convolution
    of block 0 and in all three of block 2 (branch 1), attention (8 heads) in block 2's, 64 clusters,
    β = 100, Y-branch after block 1; BN and LeakyReLU(0.1) as in ResNet-12, Kaiming-normal convolutions
    (fan out, leaky ReLU), no DropBlock (the official ``drop_rate`` is 0).

    Args:
        widths: output channels of the four blocks.
        clustering: per block, per convolution: add a constellation branch.
        attention: per block, per convolution: with self-attention over the cluster maps.
        num_clusters, inverse_temperature, num_heads, dropout: of the constellation modules.
        branch_stage: first block of the two branches (None: a single branch).
        in_channels: input channels.
        norm_cfg, act_cfg: norm layers and activations.
        init_cfg: weight initialisation.
    """

    def __init__(self, widths: Sequence[int] = (64, 128, 256, 290),
                 clustering: Flags = ((True, False, False), (False, False, False), (True, True, True),
                                      (False, False, False)),
                 attention: Flags = ((False, False, False), (False, False, False), (True, True, True),
                                     (False, False, False)),
                 num_clusters: int = 64, inverse_temperature: float = 100.0, num_heads: int = 8,
                 dropout: float = 0.1, branch_stage: Optional[int] = 2, in_channels: int = 3,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None, init_cfg=None) -> None:
        if init_cfg is None:  # the official init (a = 0); norms keep PyTorch's unit weights and zero biases
            init_cfg = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='leaky_relu')
        super().__init__(init_cfg)
        if len(widths) != 4 or len(clustering) != 4 or len(attention) != 4:
            raise ValueError(f'ConstellationResNet12 has 4 blocks: got widths {tuple(widths)}, {len(clustering)} '
                             f'clustering and {len(attention)} attention flag triples')
        if branch_stage is not None and not 1 <= branch_stage <= 3:
            raise ValueError(f'ConstellationResNet12: branch_stage must be 1, 2, 3 or None, got {branch_stage}')
        norm_cfg = dict(type='BN') if norm_cfg is None else norm_cfg
        act_cfg = dict(type='LeakyReLU', negative_slope=0.1) if act_cfg is None else act_cfg
        module_cfg = dict(num_clusters=num_clusters, inverse_temperature=inverse_temperature, num_heads=num_heads,
                          dropout=dropout)
        channels = (in_channels, *widths)

        def blocks(first: int, last: int, clustering: Flags, attention: Flags) -> nn.ModuleList:
            return nn.ModuleList(
                ConstellationBlock(channels[b], channels[b + 1], clustering[b], attention[b], module_cfg, norm_cfg,
                                   act_cfg) for b in range(first, last))

        split = 4 if branch_stage is None else branch_stage
        self.branch_stage = branch_stage
        self.stem = blocks(0, split, clustering, attention)
        self.branch1 = blocks(split, 4, clustering, attention)
        self.branch2 = blocks(split, 4, NO_FLAGS, NO_FLAGS) if branch_stage is not None else None

    def forward_with_cluster_features(self, x: torch.Tensor, branch: Optional[int] = None
                                      ) -> Tuple[Tuple[torch.Tensor, ...], List[torch.Tensor]]:
        """The outputs and the constellation maps of the stem and branch 1, in forward order.

        ``branch=1`` or ``2`` runs only that branch (its last map is the one output), as ConstellationNet's
        training forwards the classification batch through branch 1 and the episodes through branch 2.
        """
        if branch not in (None, 1, 2) or (branch == 2 and self.branch2 is None):
            raise ValueError(f'ConstellationResNet12: no branch {branch} (branch_stage={self.branch_stage})')
        cluster_features: List[torch.Tensor] = []
        for block in self.stem:
            x = block(x, cluster_features)
        outs = []
        if branch in (None, 1):
            out = x
            for block in self.branch1:
                out = block(out, cluster_features)
            outs.append(out)
        if self.branch2 is not None and branch in (None, 2):
            out = x
            for block in self.branch2:
                out = block(out)
            outs.append(out)
        return tuple(outs), cluster_features

    def train(self, mode: bool = True) -> 'ConstellationResNet12':
        super().train(mode)  # mmpretrain's BaseBackbone.train returns None
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The last map of each branch: ``(branch 1, branch 2)``, or ``(map, )`` without a Y-branch."""
        return self.forward_with_cluster_features(x)[0]
