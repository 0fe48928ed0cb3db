"""mmpretrain's geometric transforms extended to move ``gt_seg_map`` with the image.

mmcv's ``RandomFlip``, ``CenterCrop``, ``Resize`` and ``Pad`` already transform ``gt_seg_map``;
mmpretrain's ``RandomResizedCrop`` and ``ResizeEdge`` do not, hence the subclasses here.
"""
from functools import lru_cache
from typing import Tuple

import mmcv
import numpy as np
from mmcv.image.geometric import pillow_interp_codes
from mmpretrain.datasets.transforms import RandomResizedCrop, ResizeEdge
from PIL import Image

from mmpart.registry import TRANSFORMS

__all__ = ['JointRandomResizedCrop', 'JointResizeEdge']


@lru_cache(maxsize=4096)
def nearest_source_indices(in_size: int, out_size: int) -> np.ndarray:
    """Source pixel of each output pixel along one axis of Pillow's NEAREST resize from ``in_size`` to ``out_size``.

    Obtained from Pillow itself (resizing the row 0, 1, ..., in_size - 1), so that indexing a mask with these is
    exactly Pillow's NEAREST resize, float rounding included: Pillow maps each axis on its own.
    """
    row = Image.fromarray(np.arange(in_size, dtype=np.int32)[None])
    indices = np.asarray(row.resize((out_size, 1), Image.Resampling.NEAREST))[0].astype(np.intp)
    indices.flags.writeable = False
    return indices


def resize_mask_nearest(mask: np.ndarray, shape: Tuple[int, int], offset: Tuple[int, int] = (0, 0),
                        size: Tuple[int, int] = None) -> np.ndarray:
    """Resize an integer mask (or its ``size`` (h, w) region at ``offset`` (top, left)) to ``shape`` (h, w) with
    nearest sampling at pixel centres.

    Output pixel x takes source pixel floor((x + 0.5) * in / out) (up to float rounding at exact
    ties): the pixel under the point that bilinear/bicubic resizing (cv2 and Pillow) centres on, so
    mask and image stay aligned. cv2's INTER_NEAREST samples at floor(x * in / out) instead, up to
    half an output pixel off. The result is exactly Pillow's NEAREST resize (as of RGB images, so a mask matches
    an image resized with ``backend='pillow', interpolation='nearest'``), by indexing: no copy of the region, any
    integer dtype.
    """
    top, left = offset
    in_h, in_w = mask.shape[:2] if size is None else size
    rows = nearest_source_indices(in_h, shape[0]) + top
    cols = nearest_source_indices(in_w, shape[1]) + left
    return mask[rows][:, cols]  # rows, then columns: several times faster than one 2-D fancy index


def resize_crop_pillow(img: np.ndarray, box: Tuple[int, int, int, int], size: Tuple[int, int],
                       interpolation: str) -> np.ndarray:
    """``mmcv.imresize(mmcv.imcrop(img, box), size, backend='pillow')`` for a uint8 image, bit for bit.

    ``box`` is (left, top, width, height), ``size`` (w, h). Pillow reads the crop straight out of a contiguous
    image (its rows at the image's stride) instead of the copy of the strided view ``Image.fromarray`` would make.
    """
    left, top, width, height = box
    channels = img.shape[2] if img.ndim == 3 else 1
    if img.flags.c_contiguous and channels in (1, 3):
        mode = 'RGB' if channels == 3 else 'L'
        row = img.shape[1] * channels
        crop = Image.frombuffer(mode, (width, height), memoryview(img.reshape(-1))[top * row + left * channels:],
                                'raw', mode, row, 1)
    else:
        crop = Image.fromarray(np.ascontiguousarray(img[top:top + height, left:left + width]))
    return np.array(crop.resize(size, pillow_interp_codes[interpolation]))


@TRANSFORMS.register_module()
class JointRandomResizedCrop(RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` that also crops and resizes ``gt_seg_map`` (nearest).

    Arguments and crop sampling are those of :class:`mmpretrain.datasets.RandomResizedCrop`.
    ``img_shape`` is set to (h, w).
    """

    def transform(self, results: dict) -> dict:
        """Crop the image and mask at one random box and resize both to ``scale``."""
        img = results['img']
        offset_h, offset_w, target_h, target_w = self.rand_crop_params(img)
        if self.backend == 'pillow' and img.dtype == np.uint8:
            img = resize_crop_pillow(img, (offset_w, offset_h, target_w, target_h), tuple(self.scale[::-1]),
                                     self.interpolation)
        else:
            box = np.array([offset_w, offset_h, offset_w + target_w - 1, offset_h + target_h - 1])
            img = mmcv.imresize(mmcv.imcrop(img, bboxes=box), tuple(self.scale[::-1]),
                                interpolation=self.interpolation, backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = resize_mask_nearest(results['gt_seg_map'], img.shape[:2],
                                                        (offset_h, offset_w), (target_h, target_w))
        return results


@TRANSFORMS.register_module()
class JointResizeEdge(ResizeEdge):
    """mmpretrain's ``ResizeEdge`` that also resizes ``gt_seg_map`` (nearest) to the new image size.

    Arguments are those of :class:`mmpretrain.datasets.ResizeEdge`.
    """

    def _resize_img(self, results: dict) -> None:
        """Resize the image as upstream, then the mask to the resized image's shape."""
        super()._resize_img(results)
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = resize_mask_nearest(results['gt_seg_map'], results['img'].shape[:2])
