"""ConstellationNet's constellation module (Xu et al., ICLR 2021): cell features clustered against EMA centres,
relations among the cells' cluster maps by self-attention, merged back into the convolution's output."""
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.layers.transformer import DetrTransformerEncoderLayer

__all__ = ['CellFeatureClustering', 'CellRelationAttention', 'ConstellationConv']


class CellFeatureClustering(nn.Module):
    """Soft k-means of L2-normalised cell features against running cluster centres.

    Each cell (pixel) feature ``u_i`` of a C×H×W map is compared with the ``K`` centres ``v_k`` by cosine
    similarity; the K×H×W similarity map is the module's output (the "distance map" of the paper and of
    the official code, mlpc-ucsd/ConstellationNet ``constell_clustering.py``). In training, each batch
    also moves the centres by one step of mini-batch soft k-means (Sculley 2010): soft assignments
    ``m_ik = softmax_k(β · cos(u_i, v_k))``, the batch centres ``v'_k = Σ_i m_ik u_i / Σ_i m_ik``, and
    ``v_k ← (1 − α_k) v_k + α_k v'_k`` with ``α_k = Σ_i m_ik / n_k`` where the soft count ``n_k`` has
    accumulated every batch's ``Σ_i m_ik`` (so the centres are running means, not learned by gradient).
    The similarity of a batch uses the centres from before its update. The centres start as normalised
    draws of ``numpy.random.RandomState(seed).randn`` (the official ``fix_init``), the counts at
    ``initial_count``.

    Args:
        channels: C.
        num_clusters: K.
        inverse_temperature: β of the soft assignments (official: 100).
        initial_count: the starting soft count of every cluster.
        seed: seed of the initial centres.
    """

    def __init__(self, channels: int, num_clusters: int = 64, inverse_temperature: float = 100.0,
                 initial_count: float = 1.0, seed: int = 1) -> None:
        super().__init__()
        self.channels, self.num_clusters, self.inverse_temperature = channels, num_clusters, inverse_temperature
        centres = torch.from_numpy(np.random.RandomState(seed).randn(num_clusters, channels)).float()
        self.register_buffer('centres', F.normalize(centres, dim=1))
        self.register_buffer('counts', torch.full((num_clusters, ), float(initial_count), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×C×H×W features → N×K×H×W cosine similarities to the centres (centres updated in training)."""
        n, c, h, w = x.shape
        if c != self.channels:
            raise ValueError(f'CellFeatureClustering: expected {self.channels} channels, got {c}')
        cells = F.normalize(x.permute(0, 2, 3, 1).reshape(-1, c), dim=1)
        similarity = cells @ F.normalize(self.centres, dim=1).t()
        if self.training:
            self._update_centres(cells.detach(), similarity.detach())
        return similarity.view(n, h, w, self.num_clusters).permute(0, 3, 1, 2)

    @torch.no_grad()
    def _update_centres(self, cells: torch.Tensor, similarity: torch.Tensor) -> None:
        assignments = F.softmax(self.inverse_temperature * similarity, dim=1)
        mass = assignments.sum(0)
        batch_centres = assignments.t() @ cells / mass[:, None]
        self.counts += mass.double()
        alpha = (mass.double() / self.counts).float()[:, None]
        self.centres.copy_((1 - alpha) * self.centres + alpha * batch_centres)


class CellRelationAttention(nn.Module):
    """One post-norm transformer encoder layer over the cells of a map, with sine positions on queries and keys.

    The official ``constell_attention.py`` (``SA.forward_post``) is DETR's encoder layer: multi-head
    self-attention (dropout on the attention weights and on its output), residual, LayerNorm, a two-layer
    ReLU MLP of width ``embed_dims`` (dropout), residual, LayerNorm; the sine encoding (DETR's, not
    normalised) is added to queries and keys. mmdet's ``DetrTransformerEncoderLayer`` and
    ``SinePositionalEncoding`` compute exactly that, so they are used as they are.

    Args:
        embed_dims: channels of the map (ConstellationNet: the number of clusters).
        num_heads: attention heads.
        dropout: dropout of the attention weights, the residual branches and the MLP.
    """

    def __init__(self, embed_dims: int = 64, num_heads: int = 8, dropout: float = 0.1) -> None:
        super().__init__()
        if embed_dims % 2:
            raise ValueError(f'CellRelationAttention: embed_dims must be even (sine encoding), got {embed_dims}')
        self.positions = SinePositionalEncoding(num_feats=embed_dims // 2)
        self.layer = DetrTransformerEncoderLayer(
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=num_heads, dropout=dropout, batch_first=True),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=embed_dims, num_fcs=2, ffn_drop=dropout,
                         act_cfg=dict(type='ReLU', inplace=True)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        pos = self.positions(mask=None, input=x).flatten(2).transpose(1, 2)
        out = self.layer(x.flatten(2).transpose(1, 2), query_pos=pos, key_padding_mask=None)
        return out.transpose(1, 2).reshape(n, c, h, w)


class ConstellationConv(nn.Module):
    """A 3×3 convolution with ConstellationNet's constellation branch merged into its output.

    ``out = merge([conv(x), constellation(conv(x))])``: the convolution's cells are clustered
    (:class:`CellFeatureClustering`, K channels), optionally related by :class:`CellRelationAttention`,
    concatenated with the convolution output and mixed back to its width by a 1×1 convolution (the
    official ``MergeBlock``). Without clustering it is the plain 3×3 convolution.

    Args:
        in_channels, out_channels: of the 3×3 convolution.
        clustering: add the constellation branch.
        attention: relate the cluster maps by self-attention (needs ``clustering``).
        num_clusters, inverse_temperature: of the clustering.
        num_heads, dropout: of the attention.
    """

    def __init__(self, in_channels: int, out_channels: int, clustering: bool = True, attention: bool = True,
                 num_clusters: int = 64, inverse_temperature: float = 100.0, num_heads: int = 8,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if attention and not clustering:
            raise ValueError('ConstellationConv: attention relates cluster maps, it needs clustering=True')
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.clustering = CellFeatureClustering(out_channels, num_clusters, inverse_temperature) if clustering else None
        self.attention = CellRelationAttention(num_clusters, num_heads, dropout) if attention else None
        self.merge = nn.Conv2d(out_channels + num_clusters, out_channels, 1, bias=False) if clustering else None

    def forward(self, x: torch.Tensor, cluster_features: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        """The merged map; the constellation branch's map is appended to ``cluster_features`` if given."""
        out = self.conv(x)
        if self.clustering is None:
            return out
        constellation = self.clustering(out)
        if self.attention is not None:
            constellation = self.attention(constellation)
        if cluster_features is not None:
            cluster_features.append(constellation)
        return self.merge(torch.cat([out, constellation], dim=1))
