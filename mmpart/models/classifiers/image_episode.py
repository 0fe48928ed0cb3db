"""A few-shot classifier whose head learns from the images of each episode (MAML adapts its whole network)."""
from typing import List, Optional

import torch
from mmpretrain.models.classifiers.base import BaseClassifier
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

__all__ = ['ImageEpisodeClassifier']


@MODELS.register_module()
class ImageEpisodeClassifier(BaseClassifier):
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

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None, mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'ImageEpisodeClassifier: invalid mode "{mode}"')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)
