"""Part masks painted from COCO part annotations (PartImageNet's json releases)."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from pycocotools import mask as mask_utils

from mmpart.pseudo_label.painting import paint_parts
from mmpart.registry import TRANSFORMS

__all__ = ['LoadPartMaskFromAnnotations', 'rasterize_part_annotations']


def _segmentation_mask(segmentation, height: int, width: int) -> Optional[np.ndarray]:
    """Boolean mask of one COCO segmentation (polygons or RLE); None if it has no valid polygon.

    Polygons with fewer than 3 points (a known PartImageNet defect) are dropped: they crash pycocotools.
    """
    if isinstance(segmentation, list):
        polygons = [poly for poly in segmentation if len(poly) >= 6]
        if not polygons:
            return None
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    elif isinstance(segmentation, dict) and isinstance(segmentation.get('counts'), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)  # uncompressed RLE
    else:
        rle = segmentation
    return mask_utils.decode(rle).astype(bool)


def rasterize_part_annotations(annotations: Sequence[dict], height: int, width: int) -> np.ndarray:
    """Paint part annotations into an H×W uint16 map: 0 = background, part ``category_id`` → ``category_id + 1``.

    PartImageNet's category ids are 0..39, so the map follows mmpart's part-mask convention (background 0,
    parts from 1, as :class:`MPMPartHead` expects). Where parts overlap the smaller one wins (it is
    painted last), so a part drawn on top of a larger one (a wheel on a car body) keeps its pixels.
    """
    masks, areas, ids = [], [], []
    for ann in annotations:
        mask = _segmentation_mask(ann['segmentation'], height, width)
        if mask is None or not mask.any():
            continue
        masks.append(mask)
        areas.append(-float(mask.sum()))  # paint_parts: the higher score wins overlaps
        ids.append(int(ann['category_id']) + 1)
    if not masks:
        return np.zeros((height, width), dtype=np.uint16)
    return paint_parts(np.stack(masks), areas, ids, (height, width))


@TRANSFORMS.register_module()
class LoadPartMaskFromAnnotations(BaseTransform):
    """Paint the sample's COCO part annotations (``part_annotations``) into ``gt_seg_map``.

    The classification view of PartImageNet (:class:`PartImageNetClsDataset` with
    ``with_part_masks=True``) attaches each image's part annotations from the release json; this
    transform rasterises them at the loaded image's size with :func:`rasterize_part_annotations`
    (background 0, part id + 1), so the mask can follow the image through the joint geometric
    transforms into :class:`PackPartInputs` and an MPM part head. Samples without annotations
    (``part_annotations`` None) get an all-background mask and ``has_part_mask=False``, as
    :class:`LoadPartMask` does for images without a mask file.

    **Required Keys:** ``ori_shape`` (set by ``LoadImageFromFile``), ``part_annotations``;
    optional ``part_annotation_shape`` (the (h, w) the json gives, checked against the image).

    **Added Keys:** ``gt_seg_map`` (np.uint16, H×W), ``seg_fields``, ``has_part_mask``.
    """

    def transform(self, results: dict) -> dict:
        """Rasterise the annotations at the image size and register the mask as a seg field."""
        if 'ori_shape' not in results:
            raise KeyError('LoadPartMaskFromAnnotations needs the image shape: put it after LoadImageFromFile.')
        height, width = results['ori_shape'][:2]
        annotations = results.get('part_annotations')
        expected = results.get('part_annotation_shape')
        if annotations is not None and expected is not None and tuple(expected) != (height, width):
            raise ValueError(f'{results.get("img_path")}: the annotation json gives the image size {tuple(expected)}, '
                             f'but the image file has {(height, width)}')
        if annotations is None:
            mask = np.zeros((height, width), dtype=np.uint16)
        else:
            mask = rasterize_part_annotations(annotations, height, width)
        results['gt_seg_map'] = mask
        results['has_part_mask'] = annotations is not None
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        return results
