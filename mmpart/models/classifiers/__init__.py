"""Classifiers."""
from .adversarial import AdversarialTrainMixin, AdvImageClassifier
from .mpm import MPMClassifier
from .two_stage_part import TwoStagePartClassifier

__all__ = ['AdversarialTrainMixin', 'AdvImageClassifier', 'MPMClassifier', 'TwoStagePartClassifier']
