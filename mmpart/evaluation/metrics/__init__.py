"""Registered metrics."""
from .corruption_accuracy import CorruptionAccuracy, mean_corruption_error
from .few_shot_accuracy import FewShotAccuracy, mean_confidence_interval
from .robust_accuracy import RobustAccuracy
from .shape_bias import ShapeBias, category_probabilities
from .subset_accuracy import SubsetAccuracy

__all__ = ['CorruptionAccuracy', 'RobustAccuracy', 'ShapeBias', 'SubsetAccuracy', 'category_probabilities',
           'mean_corruption_error', 'FewShotAccuracy', 'mean_confidence_interval']
