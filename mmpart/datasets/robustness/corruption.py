"""On-the-fly ImageNet-C corruptions with the ``imagecorruptions`` package."""
import io

import numpy as np
from imagecorruptions import corrupt, get_corruption_names
from mmcv.transforms import BaseTransform
from PIL import Image

from mmpart.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ImageNetCCorrupt(BaseTransform):
    """Corrupt ``img`` with ``results['corruption']`` at ``results['severity']``, then JPEG-encode it.

    ImageNet-C was made as Resize 256 → CenterCrop 224 → corrupt → JPEG quality 85 on PIL images (put this
    transform after the crop, and resize as torchvision did: Pillow decoding and
    ``ResizeEdge(..., backend='pillow', interpolation='bilinear')``, see
    ``configs/_base_/datasets/imagenet_c_onthefly.py``; cv2's resize does not antialias). The global
    numpy RNG that ``imagecorruptions`` draws from is seeded per sample (``seed``, ``sample_idx``,
    corruption, severity) and restored afterwards, so a run is reproducible whatever the number of
    processes and workers.

    Args:
        jpeg_quality: quality of the final JPEG round trip (None: no round trip).
        seed: base seed of the random corruptions.
    """

    def __init__(self, jpeg_quality: int = 85, seed: int = 0) -> None:
        self.jpeg_quality, self.seed = jpeg_quality, seed
        self.names = get_corruption_names('all')

    def transform(self, results: dict) -> dict:
        name, severity = results['corruption'], int(results['severity'])
        if name not in self.names or not 1 <= severity <= 5:
            raise ValueError(f'{results.get("img_path")}: unknown corruption {name!r} or severity {severity}')
        rgb = np.ascontiguousarray(results['img'][..., ::-1])
        state = np.random.get_state()
        np.random.seed([self.seed, results.get('sample_idx', 0), self.names.index(name), severity])
        try:
            rgb = np.uint8(corrupt(rgb, corruption_name=name, severity=severity))
        finally:
            np.random.set_state(state)
        if self.jpeg_quality is not None:
            buffer = io.BytesIO()
            Image.fromarray(rgb).save(buffer, format='JPEG', quality=self.jpeg_quality)
            rgb = np.asarray(Image.open(buffer).convert('RGB'))
        results['img'] = np.ascontiguousarray(rgb[..., ::-1])
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(jpeg_quality={self.jpeg_quality}, seed={self.seed})'
