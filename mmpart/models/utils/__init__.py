"""Model helpers."""
from .inner_loop import fast_adapt
from .mpm_checkpoint import mpm_to_cls_checkpoint, plain_classifier_cfg
from .part_targets import part_sample_weights, part_targets, resize_part_labels
from .point_sampling import (
    check_num_points,
    gather_pixels,
    points_for,
    project_points,
    random_pixels,
    resized_at_pixels,
)

__all__ = [
    'check_num_points', 'fast_adapt', 'gather_pixels', 'mpm_to_cls_checkpoint', 'part_sample_weights', 'part_targets',
    'plain_classifier_cfg', 'points_for', 'project_points', 'random_pixels', 'resize_part_labels', 'resized_at_pixels'
]
