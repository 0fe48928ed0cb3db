"""Random pixels of a map and the values there: the pieces of a point-sampled (PointRend-style) loss.

A loss that is a mean over pixels can be estimated without bias by its mean over pixels drawn uniformly
at random; the expensive per-pixel work (a projection to thousands of classes) then runs at the drawn
pixels only.
"""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import point_sample

#: points per image: a count (``int``), a fraction of the map's pixels (``float`` in (0, 1]), or one of
#: these per scale
NumPoints = Union[int, float, Sequence[Union[int, float]]]


def check_num_points(num_points: NumPoints, num_scales: int = 1) -> list:
    """``num_points`` as one count or fraction per scale; ValueError naming the bad entry."""
    specs = list(num_points) if isinstance(num_points, (list, tuple)) else [num_points] * num_scales
    if len(specs) != num_scales:
        raise ValueError(f'num_points={num_points!r} has {len(specs)} entries for {num_scales} scales')
    for spec in specs:
        is_count = isinstance(spec, int) and not isinstance(spec, bool) and spec > 0
        is_fraction = isinstance(spec, float) and 0 < spec <= 1
        if not (is_count or is_fraction):
            raise ValueError(f'num_points entry {spec!r}: give a positive int (points per image) or a float in '
                             '(0, 1] (fraction of the pixels)')
    return specs


def points_for(spec: Union[int, float], num_pixels: int) -> int:
    """Points to draw from a map of ``num_pixels`` pixels: the count (at most all pixels) or the fraction."""
    if isinstance(spec, float):
        return max(1, round(spec * num_pixels))
    return min(spec, num_pixels)


def random_pixels(batch: int, num_pixels: int, num_points: int, device: torch.device) -> torch.Tensor:
    """N×P flat indices of ``num_points`` distinct pixels per image, uniformly at random, in random order."""
    return torch.rand(batch, num_pixels, device=device).topk(num_points, dim=1).indices


def project_points(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """N×C×P: the 1×1 convolution ``conv`` applied to N×c×P point features, as a matmul (a 1×1 convolution
    over a P×1 map takes CPU's slow convolution path, 2-3× slower than this)."""
    return F.linear(x.transpose(1, 2), conv.weight.flatten(1), conv.bias).transpose(1, 2)


def gather_pixels(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Values of ``x`` (N×H×W or N×C×H×W) at flat pixel indices ``index`` (N×P): N×P or N×C×P."""
    if x.dim() == 3:
        return x.flatten(1).gather(1, index)
    return x.flatten(2).gather(2, index[:, None].expand(-1, x.shape[1], -1))


def resized_at_pixels(x: torch.Tensor, index: torch.Tensor, size: Tuple[int, int],
                      align_corners: bool = False) -> torch.Tensor:
    """N×C×P values of ``x`` (N×C×h×w) bilinearly resized to ``size`` (as ``F.interpolate``), at the flat
    pixel indices ``index`` (N×P) of that size, without building the resized map."""
    height, width = size
    ys, xs = (index // width).to(x.dtype), (index % width).to(x.dtype)
    if align_corners:  # pixel i of n sits at i / (n - 1) of the map
        coords = torch.stack([xs / max(width - 1, 1), ys / max(height - 1, 1)], dim=-1)
    else:  # pixel centres
        coords = torch.stack([(xs + 0.5) / width, (ys + 0.5) / height], dim=-1)
    # border padding: F.interpolate clamps source coordinates to the map as well
    return point_sample(x, coords, align_corners=align_corners, padding_mode='border')
