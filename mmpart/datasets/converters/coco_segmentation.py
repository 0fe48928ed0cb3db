"""COCO segmentations (polygons, or RLE compressed or not) checked and turned into pycocotools RLEs.

Release files are checked here before pycocotools sees them: its C code crashes on polygons with fewer
than 3 points and decodes RLE counts without bounds checks (a corrupt RLE can write past the mask), so
a malformed entry becomes a :class:`SegmentationError` with a reason the converters count, never a
crash that takes a whole class (or the process) down.
"""
import math
from numbers import Real
from typing import List, Tuple, Union

from pycocotools import mask as mask_utils

Segmentation = Union[List[List[float]], dict]


class SegmentationError(ValueError):
    """A segmentation that cannot be used; ``reason`` is the converters' summary key."""

    def __init__(self, reason: str, detail: str = '') -> None:
        super().__init__(f'{reason}: {detail}' if detail else reason)
        self.reason = reason


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def clean_segmentation(segmentation) -> Tuple[Segmentation, int]:
    """Valid polygons (>= 3 points, numbers, even length) and how many were dropped; an RLE dict as is.

    A flat list of numbers is read as one polygon. Raises :class:`SegmentationError` with reason
    ``annotation_without_polygon`` (no valid polygon left) or ``bad_segmentation`` (neither shape).
    """
    if isinstance(segmentation, dict):
        if 'counts' not in segmentation or 'size' not in segmentation:
            raise SegmentationError('bad_segmentation', f'RLE without "counts"/"size": {sorted(segmentation)}')
        return segmentation, 0
    if not isinstance(segmentation, list):
        raise SegmentationError('bad_segmentation', f'{type(segmentation).__name__}, expected polygons or RLE')
    if segmentation and all(_is_number(v) for v in segmentation):
        segmentation = [segmentation]
    polygons = [[float(v) for v in p] for p in segmentation
                if isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0 and all(_is_number(v) for v in p)]
    if not polygons:
        raise SegmentationError('annotation_without_polygon')
    return polygons, len(segmentation) - len(polygons)


def compressed_rle_counts(counts: str) -> List[int]:
    """Run lengths of a COCO compressed RLE string (the inverse of pycocotools' ``rleToString``)."""
    runs: List[int] = []
    p = 0
    while p < len(counts):
        x, k, more = 0, 0, True
        while more:
            if p >= len(counts):
                raise SegmentationError('bad_rle', 'compressed counts end inside a number')
            c = ord(counts[p]) - 48
            if not 0 <= c < 64:
                raise SegmentationError('bad_rle', f'character {counts[p]!r} in compressed counts')
            x |= (c & 0x1f) << 5 * k
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << 5 * k
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def segmentation_to_rle(segmentation: Segmentation, height: int, width: int) -> dict:
    """The pycocotools RLE of a cleaned segmentation (see :func:`clean_segmentation`) on an image.

    Raises :class:`SegmentationError`: ``rle_size_mismatch`` (the RLE's ``size`` is not
    ``[height, width]``) or ``bad_rle`` (counts that are not run lengths covering the image).
    """
    if isinstance(segmentation, list):
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    size, counts = segmentation['size'], segmentation['counts']
    if not (isinstance(size, list) and len(size) == 2 and all(_is_number(v) for v in size)):
        raise SegmentationError('bad_rle', f'size {size!r}')
    if [int(v) for v in size] != [height, width]:
        raise SegmentationError('rle_size_mismatch', f'RLE size {size}, image {height}x{width}')
    if isinstance(counts, list):
        runs = counts if all(isinstance(v, int) and not isinstance(v, bool) for v in counts) else None
    elif isinstance(counts, (str, bytes)):
        counts = counts.decode('ascii', 'replace') if isinstance(counts, bytes) else counts
        runs = compressed_rle_counts(counts)
    else:
        runs = None
    if runs is None or any(v < 0 for v in runs) or sum(runs) != height * width:
        raise SegmentationError('bad_rle', f'counts do not cover the {height}x{width} image')
    if isinstance(counts, list):
        return mask_utils.frPyObjects(segmentation, height, width)
    return dict(size=[height, width], counts=counts.encode('ascii'))


def rle_to_json(rle: dict) -> dict:
    """A pycocotools RLE as it is written to COCO json (compressed counts as text)."""
    counts = rle['counts']
    return dict(size=[int(v) for v in rle['size']],
                counts=counts.decode('ascii') if isinstance(counts, bytes) else counts)
