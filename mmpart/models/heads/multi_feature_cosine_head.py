"""A weighted sum of cosine-to-centroid logits over several features of each image (ConstellationNet's test)."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F

from mmpart.registry import MODELS

from .few_shot_head import BaseFewShotHead, Feats, class_means

__all__ = ['MultiFeatureCosineHead']

KINDS = ('pooled', 'map')


@MODELS.register_module()
class MultiFeatureCosineHead(BaseFewShotHead):
    """Logit of way c = Σ_j w_j · cos(query feature j, mean support feature j of c).

    Feature j is output ``features[j][0]`` of the backbone tuple, either global-average-pooled
    (``'pooled'``) or flattened whole (``'map'``). ConstellationNet's evaluation
    (``scripts/eval.sh`` of mlpc-ucsd/ConstellationNet) uses the pooled and the flattened last maps of its
    two branches with weights 4, 3, 2, 1 (the defaults). The features are cached concatenated; the map
    size is recovered from their length, the channels being ``in_channels``.

    Args:
        in_channels: channels of each backbone output.
        features: ``(output index, kind)`` of each feature.
        weights: w_j.
        **kwargs: :class:`BaseFewShotHead` arguments.
    """

    def __init__(self, in_channels: Sequence[int], features: Sequence[Tuple[int, str]] = ((0, 'pooled'), (0, 'map'),
                                                                                        (1, 'pooled'), (1, 'map')),
                 weights: Sequence[float] = (4.0, 3.0, 2.0, 1.0), **kwargs) -> None:
        super().__init__(**kwargs)
        features = [tuple(f) for f in features]
        if len(features) != len(weights) or not features:
            raise ValueError(f'MultiFeatureCosineHead: {len(features)} features for {len(weights)} weights')
        for index, kind in features:
            if kind not in KINDS or not 0 <= index < len(in_channels):
                raise ValueError(f'MultiFeatureCosineHead: feature {(index, kind)} is not (an output index below '
                                 f'{len(in_channels)}, one of {KINDS})')
        self.in_channels, self.features, self.weights = tuple(in_channels), features, tuple(weights)

    def pre_logits(self, feats: Feats) -> torch.Tensor:
        feats = feats if isinstance(feats, (tuple, list)) else (feats, )
        if len(feats) != len(self.in_channels):
            raise ValueError(f'MultiFeatureCosineHead: {len(feats)} backbone outputs, in_channels has '
                             f'{len(self.in_channels)}')
        return torch.cat([feats[i].mean((2, 3)) if kind == 'pooled' else feats[i].flatten(1)
                          for i, kind in self.features], dim=1)

    def split(self, flat: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The features of :meth:`pre_logits`' concatenation, separated again."""
        pooled = sum(self.in_channels[i] for i, kind in self.features if kind == 'pooled')
        per_cell = sum(self.in_channels[i] for i, kind in self.features if kind == 'map')
        cells = (flat.shape[1] - pooled) // per_cell if per_cell else 0
        if pooled + per_cell * cells != flat.shape[1]:
            raise ValueError(f'MultiFeatureCosineHead: {flat.shape[1]} values do not split into features of '
                             f'{self.features} with in_channels {self.in_channels}')
        sizes = [self.in_channels[i] * (1 if kind == 'pooled' else cells) for i, kind in self.features]
        return torch.split(flat, sizes, dim=1)

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        logits = 0
        for weight, s, q in zip(self.weights, self.split(support), self.split(query)):
            centroids = class_means(s, support_labels, num_ways)
            logits = logits + weight * F.normalize(q, dim=1) @ F.normalize(centroids, dim=1).t()
        return logits
