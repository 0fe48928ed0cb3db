"""Meta-Baseline's head (Chen et al. 2021): scaled cosine similarity to class centroids."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpart.registry import MODELS

from .few_shot_head import BaseFewShotHead, class_means

__all__ = ['CosineProtoHead']


@MODELS.register_module()
class CosineProtoHead(BaseFewShotHead):
    """Logit of way c = τ · cos(query, mean support feature of c), with a learnable temperature τ.

    Args:
        temperature: initial τ (Meta-Baseline: 10).
        learnable_temperature: train τ with the backbone (Meta-Baseline does).
        **kwargs: :class:`BaseFewShotHead` arguments.
    """

    def __init__(self, temperature: float = 10.0, learnable_temperature: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.temperature = nn.Parameter(torch.tensor(float(temperature)), requires_grad=learnable_temperature)

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        centroids = class_means(support, support_labels, num_ways)
        return self.temperature * F.normalize(query, dim=1) @ F.normalize(centroids, dim=1).t()
