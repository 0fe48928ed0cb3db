"""Image loading that waits for the crop: read the file and its header, decode what the crop needs.

A random-resized-crop pipeline decodes a whole JPEG, converts it to an array, copies the crop out of it and hands
that back to Pillow to resize. :class:`LazyLoadImageFromFile` reads only the header (the size the crop is drawn
from); :class:`~mmpart.datasets.transforms.JointRandomResizedCrop` then decodes with Pillow and crops and resizes
the decoded picture in place, optionally at a reduced JPEG scale (libjpeg's DCT scaling) when the crop keeps at
least the output resolution. Decoding is Pillow's libjpeg-turbo with the same settings as OpenCV's, so the pixels
are those ``LoadImageFromFile`` gives (tests compare them); anything else (EXIF rotation, CMYK, PNG or any file
Pillow cannot read, a truncated JPEG) is decoded exactly as ``LoadImageFromFile`` decodes it.
"""
import io
from typing import Optional, Tuple

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.image.geometric import pillow_interp_codes
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from mmpart.registry import TRANSFORMS

from .joint_geometry import resize_crop_pillow

__all__ = ['EncodedImage', 'LazyLoadImageFromFile']

EXIF_ORIENTATION = 0x0112
JPEG_SCALES = (8, 4, 2)  # libjpeg's DCT scaling that Pillow's ``draft`` offers


class EncodedImage:
    """An image file's bytes and its shape (h, w) as decoded, decoded on demand.

    Args:
        path: the file, for error messages.
        data: its bytes.
        header: the file opened by Pillow (not decoded) when Pillow decodes it as OpenCV would: a JPEG in RGB or
            greyscale without an EXIF rotation; ``None`` decodes with ``mmcv.imfrombytes`` as LoadImageFromFile.
        color_type, imdecode_backend: as ``LoadImageFromFile``'s, for ``mmcv.imfrombytes``.
    """

    def __init__(self, path: str, data: bytes, header: Optional[Image.Image], color_type: str = 'color',
                 imdecode_backend: str = 'cv2') -> None:
        self.path, self.data, self.header = path, data, header
        self.color_type, self.imdecode_backend = color_type, imdecode_backend
        self.shape: Tuple[int, int] = (header.height, header.width) if header is not None else self.decode().shape[:2]

    def decode(self) -> np.ndarray:
        """The whole image as ``LoadImageFromFile`` decodes it (BGR uint8)."""
        img = mmcv.imfrombytes(self.data, flag=self.color_type, backend=self.imdecode_backend)
        assert img is not None, f'failed to load image: {self.path}'  # LoadImageFromFile's check and message
        return img

    def resized_crop(self, box: Tuple[int, int, int, int], size: Tuple[int, int], interpolation: str,
                     reduced: bool = False) -> np.ndarray:
        """The crop ``box`` (left, top, width, height) resized to ``size`` (w, h), BGR uint8 as after
        ``LoadImageFromFile``: exactly ``mmcv.imresize(mmcv.imcrop(...), backend='pillow')`` of the decoded image,
        or, if ``reduced``, resized from a JPEG decoded at 1/2, 1/4 or 1/8 scale when the crop still has at
        least ``size`` pixels there (a different resampling of the same crop: within the tolerance README states).
        """
        if self.header is None:
            return resize_crop_pillow(self.decode(), box, size, interpolation)
        left, top, width, height = box
        scale = self._reduction(width, height, size) if reduced else 1
        picture = self.header
        try:
            if scale > 1:  # Pillow picks this very scale (the largest 1/s with both sides >= the size asked)
                _, reduced_box = picture.draft(picture.mode, (picture.width // scale, picture.height // scale))
                scale = round(self.shape[1] / reduced_box[2])
            picture.load()
        except (OSError, SyntaxError, ValueError):
            # e.g. a truncated JPEG, which OpenCV decodes partially: as LoadImageFromFile, whatever it gives
            return resize_crop_pillow(self.decode(), box, size, interpolation)
        resample = pillow_interp_codes[interpolation]
        if scale == 1:
            out = picture.crop((left, top, left + width, top + height)).resize(size, resample)
        else:
            out = picture.resize(size, resample, box=(left / scale, top / scale, (left + width) / scale,
                                                      (top + height) / scale))
        if out.mode == 'L':  # OpenCV's colour decoding repeats the grey channel
            return np.repeat(np.asarray(out)[..., None], 3, axis=2)
        return np.array(Image.merge('RGB', out.split()[::-1]))  # BGR, as OpenCV decodes

    @staticmethod
    def _reduction(width: int, height: int, size: Tuple[int, int]) -> int:
        """The largest JPEG scale 1/s at which a ``width`` x ``height`` crop keeps at least ``size`` pixels."""
        return next((s for s in JPEG_SCALES if width // s >= size[0] and height // s >= size[1]), 1)


@TRANSFORMS.register_module()
class LazyLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that reads the file and its header but leaves decoding to the crop.

    Sets ``encoded_img`` (an :class:`EncodedImage`), ``img_shape`` and ``ori_shape`` (the decoded shape) instead of
    ``img``: the next transforms may read the shape (``LoadPartMask``) but not the pixels, and
    :class:`~mmpart.datasets.transforms.JointRandomResizedCrop` must come before anything that does. It draws the
    same crop from the same random state as after ``LoadImageFromFile``, and gives the same pixels.
    Files Pillow cannot open are loaded by ``LoadImageFromFile`` itself (same errors, ``ignore_empty``).

    Args: as ``LoadImageFromFile``, whose ``to_float32`` must stay False (a crop decodes to uint8).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.to_float32:
            raise ValueError('LazyLoadImageFromFile decodes to uint8: leave to_float32=False.')

    def transform(self, results: dict) -> Optional[dict]:
        """Read the file and its header; decode now only what Pillow would not decode as OpenCV does."""
        path = results['img_path']
        if self.file_client_args is not None:
            return super().transform(results)
        try:
            data = fileio.get(path, backend_args=self.backend_args)
            header = Image.open(io.BytesIO(data))
        except Exception:  # unreadable or not an image: as LoadImageFromFile (its error, or None with ignore_empty)
            return super().transform(results)
        if not self._decodes_as_opencv(header):
            return super().transform(results)
        encoded = EncodedImage(path, data, header, self.color_type, self.imdecode_backend)
        results['encoded_img'] = encoded
        results['img_shape'] = results['ori_shape'] = encoded.shape
        return results

    def _decodes_as_opencv(self, header: Image.Image) -> bool:
        """Pillow's pixels are OpenCV's (and mmcv's Pillow backend's) for this file and ``color_type``."""
        if header.format != 'JPEG' or header.mode not in ('RGB', 'L') or self.imdecode_backend not in ('cv2',
                                                                                                      'pillow'):
            return False
        if self.color_type == 'color':  # applies the EXIF rotation
            return 'exif' not in header.info or header.getexif().get(EXIF_ORIENTATION, 1) == 1
        return self.color_type == 'color_ignore_orientation'
