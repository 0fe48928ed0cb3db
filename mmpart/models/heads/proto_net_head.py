"""Prototypical Networks' head (Snell et al. 2017)."""
import torch

from mmpart.registry import MODELS

from .few_shot_head import BaseFewShotHead, class_means

__all__ = ['ProtoNetHead']


@MODELS.register_module()
class ProtoNetHead(BaseFewShotHead):
    """Logit of way c = minus the squared Euclidean distance from the query to the mean support feature of c.

    Arguments are those of :class:`BaseFewShotHead`; the head has no parameters.
    """

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        prototypes = class_means(support, support_labels, num_ways)
        return -torch.cdist(query, prototypes).pow(2)
