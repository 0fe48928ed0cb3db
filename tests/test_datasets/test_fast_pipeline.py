"""The fast train pipeline (issue 25) computes what the plain one computed: crop box, flip, part mask bit-equal;
images bit-equal (or within the stated tolerance of reduced-size decoding); errors as before."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain.datasets.transforms import ColorJitter, RandomErasing
from PIL import Image

from mmpart.datasets.part_mask_io import write_part_mask
from mmpart.datasets.transforms import JointRandomResizedCrop
from mmpart.datasets.transforms.joint_geometry import resize_mask_nearest
from mmpart.models.data_preprocessors import BatchColorJitter, BatchRandomErasing
from mmpart.registry import DATASETS, MODELS, TRANSFORMS

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
    """Packed samples of ``infos`` through ``transforms`` (configs or a Compose) from one numpy seed."""
    pipeline = transforms if isinstance(transforms, Compose) else Compose(transforms)
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
    cases.append(dict(cases[-1], img=cases[-1]['img'][::-1, ::2]))  # a strided view, as after a flip
    cases[-1]['gt_seg_map'] = cases[-1]['gt_seg_map'][:, ::2]
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


# ----------------------------------------------------------------------------- the recipe: augments on the batch

RECIPE = 'configs/mpm/mpm_r50.py'
PRE_ISSUE_25_PIPELINE = [  # configs/_base_/datasets/pinpp_in1k_cls.py's train pipeline before issue 25
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMask'),
    dict(type='JointRandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.1, contrast=0.1, saturation=0.1),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02, max_area_ratio=1 / 3,
         fill_color=[103.53, 116.28, 123.675], fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackPartInputs'),
]


def test_recipe_jitters_and_erases_on_the_batch_with_the_per_image_settings():
    cfg = Config.fromfile(RECIPE)
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadPartMask', 'JointRandomResizedCrop', 'RandomFlip', 'PackPartInputs']
    assert cfg.train_pipeline_cpu_augments == PRE_ISSUE_25_PIPELINE
    preprocessor = MODELS.build(cfg.data_preprocessor)
    jitter, erasing = preprocessor.pixel_augments
    assert isinstance(jitter, BatchColorJitter) and isinstance(erasing, BatchRandomErasing)
    cpu_jitter, cpu_erasing = (TRANSFORMS.build(t) for t in PRE_ISSUE_25_PIPELINE[4:6])
    assert [jitter.ranges[k] for k in ('brightness', 'contrast', 'saturation')] == [
        cpu_jitter.brightness, cpu_jitter.contrast, cpu_jitter.saturation]
    assert (erasing.erase_prob, erasing.min_area_ratio, erasing.max_area_ratio, erasing.mode) == (
        cpu_erasing.erase_prob, cpu_erasing.min_area_ratio, cpu_erasing.max_area_ratio, cpu_erasing.mode)
    assert erasing.aspect_range == pytest.approx(cpu_erasing.aspect_range)
    assert erasing.fill_color == cpu_erasing.fill_color[::-1] and erasing.fill_std == cpu_erasing.fill_std[::-1]


def test_two_lines_put_the_augments_back_into_the_loader(tmp_path):
    child = tmp_path / 'cpu_augments.py'
    child.write_text(f"_base_ = '{osp.abspath(RECIPE)}'\n"
                     'data_preprocessor = dict(pixel_augments=None)\n'
                     'train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_cpu_augments))\n')
    cfg = Config.fromfile(str(child))
    assert cfg.train_dataloader.dataset.pipeline == PRE_ISSUE_25_PIPELINE
    assert MODELS.build(cfg.data_preprocessor).pixel_augments == []


@pytest.mark.filterwarnings('ignore:Only use')
def test_recipe_gives_the_per_image_pipelines_images_for_the_same_parameters(synthetic_pinpp):
    """Seeded per image, the recipe's loader + the batch jitter and erasing with the parameters the per-image
    ColorJitter and RandomErasing drew give the pre-issue-25 pipeline's images bit for bit (the erase fill set
    constant: random noise cannot be the same draw); masks and flips are the same."""
    cfg = Config.fromfile(RECIPE)
    dataset_cfg = dict(cfg.train_dataloader.dataset, data_root=str(synthetic_pinpp) + '/', pipeline=[],
                       data_prefix=dict(img_path='imagenet/train', seg_map_path='converted/seg'),
                       extra_mask_roots=[], part_id_file=None, num_part_classes=None)
    infos = [i for i in DATASETS.build(dataset_cfg).load_data_list() if i['seg_map_path']][:12]
    drawn = []
    per_image_pipeline = Compose([dict(t, mode='const') if t['type'] == 'RandomErasing' else t
                                  for t in PRE_ISSUE_25_PIPELINE])
    for transform in per_image_pipeline.transforms:
        for name in {ColorJitter: ['_rand_params'], RandomErasing: ['random_disable', 'random_patch']}.get(
                type(transform), []):  # an instance attribute shadows mmcv's cache_randomness on the class
            setattr(transform, name, record(vars(type(transform))[name].func.__get__(transform), drawn))
    per_image, draws = [], []
    for i, info in enumerate(infos):
        per_image.append(run_pipeline(per_image_pipeline, [info], seed=i)[0])
        draws.append(list(drawn))  # jitter parameters, erasing disabled?, erase box (if not disabled)
        drawn.clear()
    recipe = [run_pipeline(cfg.train_pipeline, [info], seed=i)[0] for i, info in enumerate(infos)]
    erasing_cfg = dict(cfg.data_preprocessor.pixel_augments[1], mode='const')
    jitter, erasing = MODELS.build(cfg.data_preprocessor.pixel_augments[0]), MODELS.build(erasing_cfg)
    for i, (ours, theirs) in enumerate(zip(recipe, per_image)):
        (order, *factors), disabled = draws[i][0][:4], draws[i][1]
        rgb = ours['inputs'].flip(0)[None].float()
        params = dict(order=torch.tensor([order]), **{k: torch.tensor([v], dtype=torch.float64) for k, v in zip(
            ('brightness', 'contrast', 'saturation'), factors)})
        rgb = jitter.apply(rgb, params)
        top, left, height, width = draws[i][2] if not disabled else (0, 0, 0, 0)
        box = dict(erase=torch.tensor([not disabled]), top=torch.tensor([top]), left=torch.tensor([left]),
                   height=torch.tensor([height]), width=torch.tensor([width]))
        rgb = erasing.apply(rgb, box, erasing.fill(rgb, torch.Generator()))
        np.testing.assert_array_equal(rgb[0].flip(0).numpy(), theirs['inputs'].numpy().astype(np.float32))
        np.testing.assert_array_equal(ours['data_samples'].gt_sem_seg.data, theirs['data_samples'].gt_sem_seg.data)
        assert ours['data_samples'].flip == theirs['data_samples'].flip
    assert {d[1] for d in draws} == {True, False}  # some erased, some not


def record(method, drawn: list):
    """The bound ``method``, also appending what it returns to ``drawn`` (the draws of a random transform)."""
    def recording(*args):
        drawn.append(method(*args))
        return drawn[-1]
    return recording


def test_recipe_stops_on_broken_files_as_before(tmp_path):
    """Undecodable JPEGs, unreadable masks and masks of another size: the pre-issue errors."""
    img = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / 'ok.JPEG', quality=90)
    (tmp_path / 'garbage.JPEG').write_bytes(b'\xff\xd8 not a jpeg')
    write_part_mask(str(tmp_path / 'ok.png'), np.ones((30, 40), np.uint16) * 300)
    write_part_mask(str(tmp_path / 'small.png'), np.ones((30, 39), np.uint16) * 300)
    (tmp_path / 'truncated.png').write_bytes((tmp_path / 'ok.png').read_bytes()[:40])
    pipeline = Config.fromfile(RECIPE).train_pipeline
    info = dict(img_path=str(tmp_path / 'ok.JPEG'), gt_label=1, is_pseudo=False)
    assert run_pipeline(pipeline, [dict(info, seg_map_path=str(tmp_path / 'ok.png'))])[0]['inputs'].shape == (
        3, 224, 224)
    with pytest.raises(AssertionError, match=f'failed to load image: {tmp_path}/garbage.JPEG'):
        run_pipeline(pipeline, [dict(info, img_path=str(tmp_path / 'garbage.JPEG'), seg_map_path=None)])
    with pytest.raises(OSError, match=f'Cannot read part mask {tmp_path}/truncated.png'):
        run_pipeline(pipeline, [dict(info, seg_map_path=str(tmp_path / 'truncated.png'))])
    with pytest.raises(ValueError, match=rf'Part mask {tmp_path}/small.png has shape \(30, 39\), but its image '
                                         rf'{tmp_path}/ok.JPEG has shape \(30, 40\)'):
        run_pipeline(pipeline, [dict(info, seg_map_path=str(tmp_path / 'small.png'))])
