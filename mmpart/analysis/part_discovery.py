"""Part discovery by Deep Feature Factorization (Collins et al. 2018) and its scores against GT part masks.

DFF factorises the non-negative feature maps of a set of images of one class, as a (pixels × channels)
matrix, into ``k`` non-negative factors with scikit-learn's NMF: each pixel gets ``k`` weights, i.e. ``k``
heat maps per image, the discovered parts. The PartImageNet paper shows them qualitatively; here each pixel
is assigned its strongest factor and the assignment is scored against the GT parts on the foreground:
the factors are matched one-to-one to the GT parts by the Hungarian algorithm on IoU (scipy's
``linear_sum_assignment``) for a matched mIoU, and NMI / ARI (scikit-learn) compare the two partitions
without any matching.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = ['deep_feature_factorization', 'assign_parts', 'match_parts', 'part_discovery_scores',
           'discover_class_parts', 'FACTOR_NORMS', 'BACKGROUNDS', 'border_factor', 'dff_part_map', 'pdisco_scores']

#: mask values that are not a part: background (0) and the ignore index of uint16 masks
NOT_A_PART = (0, 65535)
#: how factor heat maps are scaled before each pixel takes its strongest factor: ``'none'`` (raw NMF weights) or
#: ``'image_max'`` (each factor's map divided by its maximum in the image, as DFF's demo displays them)
FACTOR_NORMS = ('none', 'image_max')
#: how DFF's background is formed for the all-pixel protocol: ``'threshold'`` (pixels whose total factor weight is
#: below a fraction of the image's largest), ``'factor'`` (one more NMF factor, the one strongest on the image
#: borders, is the background) or ``'none'`` (every pixel is a part)
BACKGROUNDS = ('threshold', 'factor', 'none')


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


def _upsampled(heatmaps: np.ndarray, size: Tuple[int, int]) -> torch.Tensor:
    """k×h×w heat maps resized bilinearly to ``size`` (k×H×W)."""
    return F.interpolate(torch.from_numpy(np.ascontiguousarray(heatmaps))[None].float(), size=tuple(size),
                         mode='bilinear', align_corners=False)[0]


def _scaled(maps: torch.Tensor, factor_norm: str) -> torch.Tensor:
    """k×H×W factor maps scaled per :data:`FACTOR_NORMS`."""
    if factor_norm not in FACTOR_NORMS:
        raise ValueError(f'factor_norm must be one of {FACTOR_NORMS}, got {factor_norm!r}')
    return maps / maps.amax(dim=(1, 2), keepdim=True).clamp(min=1e-12) if factor_norm == 'image_max' else maps


def assign_parts(heatmaps: np.ndarray, size: Tuple[int, int], factor_norm: str = 'none') -> np.ndarray:
    """Each pixel's strongest factor after bilinear upsampling of k×h×w heat maps to ``size`` (and scaling per
    ``factor_norm``): H×W ints."""
    return _scaled(_upsampled(heatmaps, size), factor_norm).argmax(dim=0).numpy()


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


def discover_class_parts(features: np.ndarray, gt_masks: Sequence[np.ndarray], num_parts: int, seed: int = 0,
                         factor_norm: str = 'none') -> Tuple[Dict[str, float], list]:
    """DFF over one class's images and its scores on their foreground pixels (GT not in :data:`NOT_A_PART`).

    Args:
        features: N×C×h×w non-negative backbone features of the N images.
        gt_masks: their GT part masks (H×W each, any size; heat maps are upsampled to it).
        num_parts: k.
        seed: NMF seed.
        factor_norm: scaling of the factor maps before each pixel takes its strongest (:data:`FACTOR_NORMS`).

    Returns:
        The scores (plus ``images`` and ``pixels``, the number of foreground pixels) and each image's
        discovered part map (H×W factor ids).
    """
    heatmaps, _ = deep_feature_factorization(features, num_parts, seed)
    assignments = [assign_parts(maps, mask.shape, factor_norm) for maps, mask in zip(heatmaps, gt_masks)]
    foreground = [~np.isin(mask, NOT_A_PART) for mask in gt_masks]
    gt = np.concatenate([mask[fg] for mask, fg in zip(gt_masks, foreground)])
    if not gt.size:
        raise ValueError('discover_class_parts: the GT masks have no part pixel')
    discovered = np.concatenate([a[fg] for a, fg in zip(assignments, foreground)])
    scores = part_discovery_scores(discovered, gt, num_parts)
    return dict(scores, images=len(gt_masks), pixels=int(gt.size)), assignments


def border_factor(heatmaps: np.ndarray) -> int:
    """The factor with the largest mean weight on the border cells of N×k×h×w heat maps (the background factor)."""
    border = np.ones(heatmaps.shape[2:], dtype=bool)
    border[1:-1, 1:-1] = False
    return int(heatmaps[:, :, border].mean(axis=(0, 2)).argmax())


def dff_part_map(heatmaps: np.ndarray, size: Tuple[int, int], factor_norm: str = 'image_max',
                 background: str = 'threshold', bg_threshold: float = 0.2,
                 background_factor: Optional[int] = None) -> np.ndarray:
    """One image's discovered parts with a background: H×W ints, 0 = background, 1..k = the parts.

    The k×h×w heat maps are upsampled bilinearly to ``size`` (as PDiscoNet's evaluation upsamples its
    assignment maps), scaled per ``factor_norm`` and each pixel takes its strongest factor. The background
    (see :data:`BACKGROUNDS`) is, with ``'threshold'``, every pixel whose summed raw factor weight is below
    ``bg_threshold`` × the image's largest; with ``'factor'``, the pixels of ``background_factor`` (the
    other factors are renumbered 1..k-1 in order).
    """
    if background not in BACKGROUNDS:
        raise ValueError(f'dff_part_map: background must be one of {BACKGROUNDS}, got {background!r}')
    maps = _upsampled(heatmaps, size)
    parts = _scaled(maps, factor_norm).argmax(dim=0).numpy() + 1
    if background == 'threshold':
        total = maps.sum(dim=0)
        parts[(total < bg_threshold * total.max()).numpy()] = 0
    elif background == 'factor':
        if background_factor is None:
            raise ValueError("dff_part_map: background='factor' needs background_factor")
        factor = parts - 1
        parts = np.where(factor == background_factor, 0, factor + (factor < background_factor))
    return parts


def pdisco_scores(discovered: Sequence[np.ndarray], gt_masks: Sequence[np.ndarray]) -> Dict[str, float]:
    """NMI and ARI (%) over all pixels of all images, background included as a class (PDiscoNet's protocol).

    As ``eval_nmi_ari_part_imagenet`` of ananthu-aniraj/pdiscoformer: the label maps of every image are
    concatenated and scored at once with scikit-learn's ``normalized_mutual_info_score`` and
    ``adjusted_rand_score``. GT: background 0 is one class, each part id another; pixels at the ignore
    index 65535 (no annotation) are left out. Returns the scores and the numbers of images and pixels.
    """
    if len(discovered) != len(gt_masks) or not gt_masks:
        raise ValueError(f'pdisco_scores: {len(discovered)} discovered maps for {len(gt_masks)} GT masks')
    preds, gts = [], []
    for pred, gt in zip(discovered, gt_masks):
        pred, gt = np.asarray(pred), np.asarray(gt)
        if pred.shape != gt.shape:
            raise ValueError(f'pdisco_scores: a discovered map of shape {pred.shape} for a GT mask of {gt.shape}')
        keep = gt != NOT_A_PART[1]
        preds.append(pred[keep].ravel())
        gts.append(gt[keep].ravel())
    pred, gt = np.concatenate(preds), np.concatenate(gts)
    return dict(nmi=100 * float(normalized_mutual_info_score(gt, pred)), ari=100 * float(adjusted_rand_score(gt, pred)),
                images=len(gt_masks), pixels=int(gt.size))
