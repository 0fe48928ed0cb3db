"""Centre crop that pads an image smaller than the crop on both sides, as torchvision's ``CenterCrop``."""
import mmcv
from mmcv.transforms import BaseTransform, CenterCrop

from mmpart.registry import TRANSFORMS

__all__ = ['PaddedCenterCrop']


@TRANSFORMS.register_module()
class PaddedCenterCrop(BaseTransform):
    """Crop ``crop_size`` (an int: square) at the centre of ``img``; an image smaller than the crop along an edge is
    first zero-padded there to the crop size, ``(crop - size) // 2`` before and the rest after.

    That is torchvision's ``CenterCrop`` on a PIL image, e.g. RobustBench's ``Crop288`` preprocessing (Wong2020Fast:
    no resize, so ImageNet images under 288 px are padded). mmcv's ``CenterCrop`` crops to the smaller size instead,
    or with ``auto_pad`` pads after the image only. The centre offset of the crop itself is the same in both
    (``round((size - crop) / 2)``), so the crop is mmcv's.
    """

    def __init__(self, crop_size: int, pad_val: int = 0) -> None:
        self.crop_size = crop_size
        self.pad_val = pad_val
        self.crop = CenterCrop(crop_size=crop_size)

    def transform(self, results: dict) -> dict:
        img = results['img']
        pad_h, pad_w = max(self.crop_size - img.shape[0], 0), max(self.crop_size - img.shape[1], 0)
        if pad_h or pad_w:
            padding = (pad_w // 2, pad_h // 2, pad_w - pad_w // 2, pad_h - pad_h // 2)  # left, top, right, bottom
            results['img'] = mmcv.impad(img, padding=padding, pad_val=self.pad_val)
            results['img_shape'] = results['img'].shape[:2]
        return self.crop(results)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(crop_size={self.crop_size}, pad_val={self.pad_val})'
