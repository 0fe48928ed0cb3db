"""Classifiers."""
from .adversarial import AdversarialTrainMixin, AdvImageClassifier
from .constellation_net import ConstellationNetClassifier
from .image_episode import ImageEpisodeClassifier
from .mpm import MPMClassifier
from .two_stage_part import TwoStagePartClassifier

__all__ = [
    'AdversarialTrainMixin', 'AdvImageClassifier', 'ConstellationNetClassifier', 'ImageEpisodeClassifier',
    'MPMClassifier', 'TwoStagePartClassifier'
]
