"""``forward`` by mode for classifiers that are not mmpretrain ``ImageClassifier`` subclasses."""
from typing import List, Optional

import torch
from mmpretrain.structures import DataSample

__all__ = ['ModeForwardMixin']


class ModeForwardMixin:
    """mmpretrain ``ImageClassifier.forward``: ``'tensor'`` → ``head(extract_feat(inputs))``, ``'loss'`` →
    ``loss``, ``'predict'`` → ``predict``; any other mode raises naming the class."""

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None, mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'{type(self).__name__}: invalid mode "{mode}"')
