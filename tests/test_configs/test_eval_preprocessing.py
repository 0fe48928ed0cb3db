"""IN-1K evaluation pipelines give exactly torchvision's ``Resize(256)`` + ``CenterCrop(224)`` of a PIL image.

RobustBench's ImageNet numbers (README's reference table) and the ImageNet-C release were both made that way;
cv2's resize (no antialiasing when shrinking) moves accuracies by a few tenths of a point.
"""
from pathlib import Path

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image
from torchvision import transforms

from mmpart.utils import register_all_modules

DATASETS = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'
IN1K_EVAL = ['imagenet_val_robustbench5k.py', 'imagenet_a.py', 'imagenet_r.py', 'imagenet_sketch.py', 'imagenet_v2.py',
             'imagenet_c_onthefly.py', 'pinpp_in1k_cls.py']


@pytest.fixture(scope='module')
def images(tmp_path_factory) -> list:
    """JPEGs of odd sizes: landscape, portrait with an EXIF rotation tag (ignored by PIL's loader), grayscale."""
    root, rng = tmp_path_factory.mktemp('eval_images'), np.random.default_rng(0)
    smooth = np.cumsum(rng.integers(-8, 9, (500, 500, 3)), axis=1) % 256  # edges and gradients
    paths = [root / 'landscape.JPEG', root / 'portrait.JPEG', root / 'gray.JPEG']
    Image.fromarray(smooth[:375].astype(np.uint8)).save(paths[0], quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    Image.fromarray(smooth[:, :333].astype(np.uint8)).save(paths[1], quality=90, exif=exif)
    Image.fromarray(smooth[:300, :451, 0].astype(np.uint8)).save(paths[2], quality=90)
    return paths


def eval_steps(name: str) -> list:
    """The evaluation pipeline of a dataset config up to its centre crop."""
    cfg = Config.fromfile(str(DATASETS / name))
    steps = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline
    types = [step['type'] for step in steps]
    return steps[:types.index('CenterCrop') + 1]


@pytest.mark.parametrize('name', IN1K_EVAL)
def test_pipeline_equals_torchvision_resize_center_crop(name, images):
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmpart'):
        pipeline = Compose(eval_steps(name))
    reference = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
    for path in images:
        with Image.open(path) as img:  # torchvision's default loader (datasets.folder.pil_loader)
            expected = np.asarray(reference(img.convert('RGB')))
        bgr = pipeline(dict(img_path=str(path)))['img']
        assert bgr.shape == (224, 224, 3)
        np.testing.assert_array_equal(bgr[..., ::-1], expected, err_msg=f'{name}: {path.name}')
