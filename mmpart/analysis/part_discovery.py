"""Part discovery by Deep Feature Factorization (Collins et al. 2018) and its scores against GT part masks.

DFF factorises the non-negative feature maps of a set of images of one class, as a (pixels × channels)
matrix, into ``k`` non-negative factors with scikit-learn's NMF: each pixel gets ``k`` weights, i.e. ``k``
heat maps per image, the discovered parts. The PartImageNet paper shows them qualitatively; here each pixel
is assigned its strongest factor and the assignment is scored against the GT parts on the foreground:
the factors are matched one-to-one to the GT parts by the Hungarian algorithm on IoU (scipy's
``linear_sum_assignment``) for a matched mIoU, and NMI / ARI (scikit-learn) compare the two partitions
without any matching.
"""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = ['deep_feature_factorization', 'assign_parts', 'match_parts', 'part_discovery_scores',
           'discover_class_parts']

#: mask values that are not a part: background (0) and the ignore index of uint16 masks
NOT_A_PART = (0, 65535)


def deep_feature_factorization(features: np.ndarray, num_parts: int, seed: int = 0,
                               max_iter: int = 400) -> Tuple[np.ndarray, np.ndarray]:
    """NMF of N×C×h×w non-negative features into ``num_parts`` factors.

    Returns:
        Heat maps N×k×h×w (each pixel's weight on every factor) and the factors k×C (channel loadings).
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 4:
        raise ValueError(f'deep_feature_factorization: expected N×C×h×w features, got shape {features.shape}')
    if (features < 0).any():
        raise ValueError('deep_feature_factorization: NMF needs non-negative features (e.g. after a ReLU; clamp '
                         'GELU outputs at 0)')
    n, c, h, w = features.shape
    matrix = features.transpose(0, 2, 3, 1).reshape(-1, c)
    nmf = NMF(n_components=num_parts, init='nndsvda', random_state=seed, max_iter=max_iter)
    weights = nmf.fit_transform(matrix)
    return weights.reshape(n, h, w, num_parts).transpose(0, 3, 1, 2), nmf.components_


def assign_parts(heatmaps: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Each pixel's strongest factor after bilinear upsampling of k×h×w heat maps to ``size``: H×W ints."""
    upsampled = F.interpolate(torch.from_numpy(np.ascontiguousarray(heatmaps))[None].float(), size=tuple(size),
                              mode='bilinear', align_corners=False)[0]
    return upsampled.argmax(dim=0).numpy()


def match_parts(discovered: np.ndarray, gt: np.ndarray, num_parts: int) -> Dict[str, object]:
    """Hungarian matching of discovered factors (0..k-1) to GT parts on IoU, over the given pixels.

    Args:
        discovered: factor of every pixel (P, ).
        gt: GT part id of the same pixels (P, ).
        num_parts: k.

    Returns:
        ``miou``: sum of the matched IoUs / number of GT parts (a GT part left without a factor, when
        k is smaller, counts 0); ``matches``: {GT part id: factor}; ``iou``: the G×k IoU matrix;
        ``gt_parts``: the GT part ids of its rows.
    """
    discovered, gt = np.asarray(discovered).ravel(), np.asarray(gt).ravel()
    if discovered.shape != gt.shape:
        raise ValueError(f'match_parts: {discovered.size} discovered labels for {gt.size} GT labels')
    gt_parts, gt_index = np.unique(gt, return_inverse=True)
    if not gt_parts.size:
        raise ValueError('match_parts: no pixel to score')
    if discovered.min() < 0 or discovered.max() >= num_parts:
        raise ValueError(f'match_parts: discovered labels must be in 0..{num_parts - 1}')
    intersection = np.zeros((gt_parts.size, num_parts))
    np.add.at(intersection, (gt_index, discovered), 1)
    union = intersection.sum(1, keepdims=True) + intersection.sum(0, keepdims=True) - intersection
    iou = intersection / np.maximum(union, 1)
    rows, cols = linear_sum_assignment(-iou)
    return dict(miou=float(iou[rows, cols].sum() / gt_parts.size),
                matches={int(gt_parts[r]): int(c) for r, c in zip(rows, cols)}, iou=iou, gt_parts=gt_parts)


def part_discovery_scores(discovered: np.ndarray, gt: np.ndarray, num_parts: int) -> Dict[str, float]:
    """Matched mIoU, NMI and ARI (all in %) of discovered factors against GT parts on the same pixels."""
    discovered, gt = np.asarray(discovered).ravel(), np.asarray(gt).ravel()
    return dict(matched_miou=100 * match_parts(discovered, gt, num_parts)['miou'],
                nmi=100 * float(normalized_mutual_info_score(gt, discovered)),
                ari=100 * float(adjusted_rand_score(gt, discovered)))


def discover_class_parts(features: np.ndarray, gt_masks: Sequence[np.ndarray], num_parts: int,
                         seed: int = 0) -> Tuple[Dict[str, float], list]:
    """DFF over one class's images and its scores on their foreground pixels (GT not in :data:`NOT_A_PART`).

    Args:
        features: N×C×h×w non-negative backbone features of the N images.
        gt_masks: their GT part masks (H×W each, any size; heat maps are upsampled to it).
        num_parts: k.
        seed: NMF seed.

    Returns:
        The scores (plus ``images`` and ``pixels``, the number of foreground pixels) and each image's
        discovered part map (H×W factor ids).
    """
    heatmaps, _ = deep_feature_factorization(features, num_parts, seed)
    assignments = [assign_parts(maps, mask.shape) for maps, mask in zip(heatmaps, gt_masks)]
    foreground = [~np.isin(mask, NOT_A_PART) for mask in gt_masks]
    gt = np.concatenate([mask[fg] for mask, fg in zip(gt_masks, foreground)])
    if not gt.size:
        raise ValueError('discover_class_parts: the GT masks have no part pixel')
    discovered = np.concatenate([a[fg] for a, fg in zip(assignments, foreground)])
    scores = part_discovery_scores(discovered, gt, num_parts)
    return dict(scores, images=len(gt_masks), pixels=int(gt.size)), assignments
