"""A few-shot classifier whose head learns from the images of each episode (MAML adapts its whole network)."""
from typing import List, Optional

import torch
from mmpretrain.models.classifiers.base import BaseClassifier
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

from .mode_forward import ModeForwardMixin

__all__ = ['ImageEpisodeClassifier']


@MODELS.register_module()
class ImageEpisodeClassifier(ModeForwardMixin, BaseClassifier):
    """Hands the preprocessed images to its few-shot head as the features.

    For methods that adapt the whole network to each episode (:class:`MAMLHead`): the head owns the
    network, ``extract_feat`` is the identity, so :class:`MetaTestLoop` caches the images and the head
    adapts on each episode's support images. Training is ``head.loss`` on a batch of episodes.

    Args:
        head: the few-shot head that owns the network (e.g. ``MAMLHead``).
        data_preprocessor: as :class:`mmpretrain.models.ImageClassifier` (default ``ClsDataPreprocessor``).
        init_cfg: weight initialisation.
    """

    def __init__(self, head: dict, data_preprocessor: Optional[dict] = None, init_cfg=None) -> None:
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """The images themselves."""
        return inputs

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)
