"""The fast train pipeline (issue 25) computes what the plain one computed: crop box, flip, part mask bit-equal;
images bit-equal (or within the stated tolerance of reduced-size decoding); errors as before."""
import mmcv
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from PIL import Image

from mmpart.datasets.transforms import JointRandomResizedCrop
from mmpart.datasets.transforms.joint_geometry import resize_mask_nearest
from mmpart.registry import DATASETS

from .test_transforms import coordinate_image, ids_from_image

SYNTHETIC_CONFIG = 'configs/_base_/datasets/pinpp_synthetic_cls.py'


@pytest.fixture(scope='module', autouse=True)
def mmpart_scope():
    with DefaultScope.overwrite_default_scope('mmpart'):
        yield


def pre_issue_25_crop(self, results: dict) -> dict:
    """JointRandomResizedCrop.transform as it was before issue 25: the oracle of the faster one."""
    offset_h, offset_w, target_h, target_w = self.rand_crop_params(results['img'])
    box = np.array([offset_w, offset_h, offset_w + target_w - 1, offset_h + target_h - 1])
    img = mmcv.imresize(mmcv.imcrop(results['img'], bboxes=box), tuple(self.scale[::-1]),
                        interpolation=self.interpolation, backend=self.backend)
    results['img'], results['img_shape'] = img, img.shape[:2]
    if results.get('gt_seg_map') is not None:
        mask = mmcv.imcrop(results['gt_seg_map'], bboxes=box)
        results['gt_seg_map'] = np.asarray(Image.fromarray(mask.astype(np.int32)).resize(
            img.shape[1::-1], Image.Resampling.NEAREST)).astype(mask.dtype)
    return results


def run_pipeline(transforms, infos, seed=0):
    """Packed samples of ``infos`` through ``transforms`` from one numpy seed."""
    pipeline = Compose(transforms)
    np.random.seed(seed)
    return [pipeline(dict(info)) for info in infos]


def assert_same_samples(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        assert a['inputs'].dtype == b['inputs'].dtype
        np.testing.assert_array_equal(a['inputs'].numpy(), b['inputs'].numpy())
        np.testing.assert_array_equal(a['data_samples'].gt_sem_seg.data.numpy(),
                                      b['data_samples'].gt_sem_seg.data.numpy())
        assert a['data_samples'].flip == b['data_samples'].flip
        assert a['data_samples'].flip_direction == b['data_samples'].flip_direction


# ----------------------------------------------------------------------------- crop + resize (both paths)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 300), st.integers(1, 300), st.data())
def test_mask_resize_by_indexing_is_pillows_nearest(in_h, in_w, out_h, out_w, data):
    """Indexing with Pillow's own source indices is Pillow's NEAREST resize of the region, float rounding
    included, for any sizes and offsets."""
    top, left = data.draw(st.integers(0, 20)), data.draw(st.integers(0, 20))
    mask = np.random.default_rng(in_h * 1000 + in_w).integers(0, 65535, (in_h + top + 3, in_w + left + 3),
                                                              dtype=np.uint16)
    region = mask[top:top + in_h, left:left + in_w]
    pillow = np.asarray(Image.fromarray(region.astype(np.int32)).resize((out_w, out_h), Image.Resampling.NEAREST))
    ours = resize_mask_nearest(mask, (out_h, out_w), (top, left), (in_h, in_w))
    assert ours.dtype == np.uint16 and ours.flags.writeable
    np.testing.assert_array_equal(ours, pillow.astype(np.uint16))


@pytest.mark.parametrize('backend,interpolation', [('pillow', 'bicubic'), ('pillow', 'bilinear'),
                                                   ('cv2', 'bilinear')])
@pytest.mark.parametrize('grayscale', [False, True])
def test_joint_random_resized_crop_is_bit_equal_to_before(monkeypatch, backend, interpolation, grayscale):
    rng = np.random.default_rng(1)
    cases = []
    for height, width in [(37, 53), (120, 90), (64, 64), (300, 451)]:
        img = rng.integers(0, 256, (height, width) if grayscale else (height, width, 3), dtype=np.uint8)
        cases.append(dict(img=img, gt_seg_map=rng.integers(0, 3311, (height, width), dtype=np.uint16)))
    transform = JointRandomResizedCrop(scale=(48, 40), backend=backend, interpolation=interpolation)
    np.random.seed(0)
    ours = [transform(dict(c)) for c in cases for _ in range(5)]
    monkeypatch.setattr(JointRandomResizedCrop, 'transform', pre_issue_25_crop)
    np.random.seed(0)
    theirs = [transform(dict(c)) for c in cases for _ in range(5)]
    for a, b in zip(ours, theirs):
        assert a['img'].dtype == b['img'].dtype and a['img'].flags.writeable
        np.testing.assert_array_equal(a['img'], b['img'])
        np.testing.assert_array_equal(a['gt_seg_map'], b['gt_seg_map'])
        assert tuple(a['img_shape']) == tuple(b['img_shape'])


def test_synthetic_demo_pipeline_computes_what_it_computed(synthetic_pinpp, monkeypatch):
    """The demo's train pipeline (pinpp_synthetic_cls.py) on the synthetic images: every packed image, mask and
    flip is what the pre-issue-25 transforms give (``make demo``'s numbers cannot move)."""
    cfg = Config.fromfile(SYNTHETIC_CONFIG)
    dataset_cfg = dict(cfg.train_dataloader.dataset, data_root=str(synthetic_pinpp) + '/', pipeline=[],
                       extra_mask_roots=[])
    infos = [i for i in DATASETS.build(dataset_cfg).load_data_list() if i['seg_map_path']][:24]
    assert len(infos) == 24
    ours = run_pipeline(cfg.train_pipeline, infos)
    monkeypatch.setattr(JointRandomResizedCrop, 'transform', pre_issue_25_crop)
    assert_same_samples(ours, run_pipeline(cfg.train_pipeline, infos))


def test_mask_follows_a_nearest_resampled_image_of_a_coordinate_grid():
    img = coordinate_image(150, 200)
    np.random.seed(5)
    out = JointRandomResizedCrop(scale=64, backend='pillow', interpolation='nearest')(
        dict(img=img, gt_seg_map=ids_from_image(img)))
    np.testing.assert_array_equal(out['gt_seg_map'], ids_from_image(out['img']))
