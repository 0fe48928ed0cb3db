"""Model helpers."""
from .mpm_checkpoint import mpm_to_cls_checkpoint, plain_classifier_cfg
from .part_targets import part_sample_weights, part_targets, resize_part_labels

__all__ = ['mpm_to_cls_checkpoint', 'plain_classifier_cfg', 'part_sample_weights', 'part_targets', 'resize_part_labels']
