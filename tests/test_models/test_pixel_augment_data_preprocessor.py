"""Colour jitter and random erasing on the batch (issue 25): per-sample parameters drawn as mmpretrain's transforms
draw them, the same pixels as those transforms for the same parameters, reproducible, replayed identically."""
import math

import mmcv
import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import RandomErasing
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from mmpart.models.data_preprocessors import (
    AUGMENT_SEED_KEY,
    BatchColorJitter,
    BatchRandomErasing,
    PixelAugmentClsDataPreprocessor,
)
from mmpart.models.data_preprocessors import pixel_augment_data_preprocessor as preprocessor_module

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
JITTER = dict(brightness=0.1, contrast=0.1, saturation=0.1)  # the PIN++ recipe's
ERASING = dict(erase_prob=0.25, mode='rand', min_area_ratio=0.02, max_area_ratio=1 / 3, fill_color=MEAN, fill_std=STD)


def photo_like(n: int, height: int = 40, width: int = 52, seed: int = 0) -> torch.Tensor:
    """RGB uint8 batch with smooth gradients, saturated pixels (0 and 255) and noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:height, :width]
    images = []
    for _ in range(n):
        base = rng.uniform(0, 255, 3)[:, None, None] + rng.uniform(-4, 4, (3, 1, 1)) * (rows + cols)
        image = np.clip(base + rng.normal(0, 20, (3, height, width)), 0, 255)
        image[:, :3, :3], image[:, -3:, -3:] = 0, 255
        images.append(image)
    return torch.from_numpy(np.stack(images).round().astype(np.uint8))


def mmcv_jitter(rgb: np.ndarray, order, factors) -> np.ndarray:
    """mmpretrain's ColorJitter.transform with the given parameters (its images are BGR)."""
    img = rgb[..., ::-1]
    for index in order:
        if index == 0 and factors['brightness'] is not None:
            img = mmcv.adjust_brightness(img, factors['brightness'], backend='pillow')
        elif index == 1 and factors['contrast'] is not None:
            img = mmcv.adjust_contrast(img, factors['contrast'], backend='pillow')
        elif index == 2 and factors['saturation'] is not None:
            img = mmcv.adjust_color(img, alpha=factors['saturation'], backend='pillow')
    return img[..., ::-1]


@pytest.mark.filterwarnings('ignore:Only use')
@pytest.mark.parametrize('ranges', [JITTER, dict(brightness=(0.2, 1.9), contrast=(0.1, 1.9), saturation=(0., 2.5)),
                                    dict(contrast=0.6), dict(brightness=0.5, saturation=0.5)])
def test_jitter_is_pillows_for_the_same_parameters(ranges):
    images = photo_like(16)
    jitter = BatchColorJitter(**ranges)
    params = jitter.sample(16, torch.Generator().manual_seed(0))
    out = jitter.apply(images.float(), params)
    assert out.dtype == torch.float32
    for i in range(16):
        factors = {name: None if math.isnan(params[name][i]) else float(params[name][i])
                   for name in BatchColorJitter.OPERATIONS}
        expected = mmcv_jitter(images[i].permute(1, 2, 0).numpy(), params['order'][i].tolist(), factors)
        np.testing.assert_array_equal(out[i].permute(1, 2, 0).numpy(), expected.astype(np.float32))


def test_jitter_draws_its_own_order_and_factors_per_image_from_the_ranges():
    jitter = BatchColorJitter(**JITTER)
    params = jitter.sample(4000, torch.Generator().manual_seed(1))
    for name in BatchColorJitter.OPERATIONS:
        factors = params[name]
        assert 0.9 <= factors.min() < 0.905 and 1.095 < factors.max() <= 1.1
        assert abs(factors.mean() - 1) < 0.005 and len(factors.unique()) == 4000
    orders = {tuple(o) for o in params['order'].tolist()}
    assert len(orders) == 24 and all(sorted(o) == [0, 1, 2, 3] for o in orders)  # every permutation of 4
    assert (params['order'][:, 0] == 0).float().mean().item() == pytest.approx(0.25, abs=0.03)
    again = jitter.sample(4000, torch.Generator().manual_seed(1))
    assert all(torch.equal(params[k], again[k]) for k in params)


def test_jitter_leaves_out_unset_operations_and_refuses_hue():
    params = BatchColorJitter(contrast=0.2).sample(3, torch.Generator().manual_seed(0))
    assert params['brightness'].isnan().all() and not params['contrast'].isnan().any()
    with pytest.raises(ValueError, match='no hue jitter'):
        BatchColorJitter(hue=0.1)
    with pytest.raises(ValueError, match='non negative'):
        BatchColorJitter(brightness=-0.1)


def mmpretrain_patch(n: int, height: int, width: int, seed: int) -> np.ndarray:
    """mmpretrain's RandomErasing boxes (top, left, h, w) for ``n`` images."""
    np.random.seed(seed)
    erasing = RandomErasing(**dict(ERASING, fill_color=MEAN[::-1], fill_std=STD[::-1]))
    return np.array([erasing.random_patch(height, width) for _ in range(n)])


def test_erase_boxes_are_drawn_as_random_erasing_draws_them():
    n, height, width = 20000, 224, 160
    ours = BatchRandomErasing(**ERASING).sample(n, height, width, torch.Generator().manual_seed(0))
    theirs = mmpretrain_patch(n, height, width, seed=0)
    ours_boxes = torch.stack([ours['top'], ours['left'], ours['height'], ours['width']], 1).double().numpy()
    assert ours['erase'].double().mean().item() == pytest.approx(0.25, abs=0.01)
    for column, name in enumerate(['top', 'left', 'height', 'width']):  # same distribution: means, spreads, ranges
        assert ours_boxes[:, column].mean() == pytest.approx(theirs[:, column].mean(), rel=0.03), name
        assert ours_boxes[:, column].std() == pytest.approx(theirs[:, column].std(), rel=0.05), name
        assert ours_boxes[:, column].min() >= theirs[:, column].min() - 1, name
    assert ((ours['top'] + ours['height'] <= height) & (ours['left'] + ours['width'] <= width)).all()
    assert ((ours['top'] + ours['height'] < height) | (ours['top'] == 0)).all()  # randint's excluded high
    area = (ours_boxes[:, 2] * ours_boxes[:, 3]) / (height * width)
    assert 0.015 < area.min() and area.max() < 0.36


def test_erasing_fills_only_the_boxes_of_the_chosen_images_as_random_erasing_fills_them():
    images = photo_like(6, 30, 40).float()
    erasing = BatchRandomErasing(**dict(ERASING, mode='const'))
    params = dict(erase=torch.tensor([True, False, True, True, False, True]), top=torch.tensor([0, 3, 5, 29, 1, 2]),
                  left=torch.tensor([0, 4, 7, 39, 2, 0]), height=torch.tensor([30, 5, 10, 1, 3, 4]),
                  width=torch.tensor([40, 6, 20, 1, 3, 40]))
    out = erasing.apply(images, params, erasing.fill(images, torch.Generator()))
    for i in range(6):
        expected = images[i].permute(1, 2, 0).numpy().astype(np.uint8)
        if params['erase'][i]:  # RandomErasing._fill_pixels on the same box (const: the colour cast to uint8)
            const = RandomErasing(mode='const', fill_color=MEAN)
            expected = const._fill_pixels(expected.copy(), *(int(params[k][i]) for k in ('top', 'left', 'height',
                                                                                          'width')))
        np.testing.assert_array_equal(out[i].permute(1, 2, 0).numpy(), expected)


def test_random_fill_has_the_distribution_of_random_erasing_fill():
    images = torch.zeros(2, 3, 200, 200)
    ours = BatchRandomErasing(**ERASING).fill(images, torch.Generator().manual_seed(0))
    np.random.seed(0)
    theirs = np.clip(np.random.normal(MEAN, STD, (2, 200, 200, 3)).astype(np.int32), 0, 255)
    assert torch.equal(ours, ours.trunc()) and ours.min() == 0 and ours.max() == 255
    for channel in range(3):
        assert ours[:, channel].mean().item() == pytest.approx(theirs[..., channel].mean(), abs=0.6)
        assert ours[:, channel].std().item() == pytest.approx(theirs[..., channel].std(), abs=0.6)
        assert (ours[:, channel] == 0).float().mean().item() == pytest.approx((theirs[..., channel] == 0).mean(),
                                                                              abs=0.005)
    uniform = BatchRandomErasing(mode='rand').fill(images, torch.Generator().manual_seed(0))
    assert set(uniform.unique().tolist()) == set(range(256))


def test_random_fill_truncates_the_normal_noise_then_clips_as_random_erasing():
    """np.clip(np.random.normal(colour, std).astype(np.int32), 0, 255), value by value, on the same noise."""
    images = torch.zeros(1, 3, 50, 60)
    ours = BatchRandomErasing(**ERASING).fill(images, torch.Generator().manual_seed(5)).numpy()
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(5)).numpy()
    normal = np.array(MEAN, np.float32).reshape(1, 3, 1, 1) + np.array(STD, np.float32).reshape(1, 3, 1, 1) * noise
    assert (normal < 0).any() and (normal > 255).any() and (normal % 1 > 0.5).any()
    np.testing.assert_array_equal(ours, np.clip(normal.astype(np.int32), 0, 255))


def make_preprocessor(**kwargs) -> PixelAugmentClsDataPreprocessor:
    return PixelAugmentClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True, pixel_augments=[
        dict(type='BatchColorJitter', **JITTER), dict(type='BatchRandomErasing', **dict(ERASING, erase_prob=1.))],
        **kwargs)


def batch(n: int = 4) -> dict:
    return dict(inputs=photo_like(n).flip(1), data_samples=[DataSample().set_gt_label(i) for i in range(n)])  # BGR


def test_preprocessor_augments_the_training_batch_in_rgb_then_normalises():
    preprocessor, data = make_preprocessor(), batch()
    out = preprocessor(data, training=True)['inputs']
    generator = torch.Generator().manual_seed(preprocessor_module.PixelAugmentClsDataPreprocessor._seed(data))
    rgb = data['inputs'].flip(1).float()
    expected = preprocessor.pixel_augments[1](preprocessor.pixel_augments[0](rgb, generator), generator)
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    torch.testing.assert_close(out, (expected - mean) / std, rtol=0, atol=1e-6)
    assert not torch.equal(expected, rgb)


def test_evaluation_and_no_augments_are_cls_data_preprocessor():
    plain = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    for preprocessor, training in [(make_preprocessor(), False), (PixelAugmentClsDataPreprocessor(
            mean=MEAN, std=STD, to_rgb=True), True)]:
        data = batch()
        assert torch.equal(preprocessor(data, training)['inputs'], plain(batch(), training)['inputs'])
        assert AUGMENT_SEED_KEY not in data


def test_each_image_gets_its_own_parameters_and_a_seed_reproduces_them():
    jitter = BatchColorJitter(**JITTER)
    params = jitter.sample(2, torch.Generator().manual_seed(3))
    assert all(params[n][0] != params[n][1] for n in BatchColorJitter.OPERATIONS)
    boxes = BatchRandomErasing(**ERASING).sample(2, 224, 224, torch.Generator().manual_seed(3))
    assert any(boxes[k][0] != boxes[k][1] for k in ('top', 'left', 'height', 'width'))

    two_same = dict(inputs=photo_like(1).repeat(2, 1, 1, 1))
    torch.manual_seed(0)
    first = make_preprocessor()(dict(two_same), training=True)['inputs']
    assert not torch.equal(first[0], first[1])  # the same image, jittered and erased differently
    torch.manual_seed(0)
    assert torch.equal(make_preprocessor()(dict(two_same), training=True)['inputs'], first)
    torch.manual_seed(1)
    assert not torch.equal(make_preprocessor()(dict(two_same), training=True)['inputs'], first)


def test_a_replayed_batch_is_augmented_the_same_and_each_rank_its_own_way(monkeypatch):
    preprocessor, data = make_preprocessor(), batch()
    first = preprocessor(data, training=True)['inputs']
    assert AUGMENT_SEED_KEY in data
    assert torch.equal(preprocessor(data, training=True)['inputs'], first)  # MinibatchReplayTrainLoop passes it again
    monkeypatch.setattr(preprocessor_module, 'get_rank', lambda: 1)
    assert not torch.equal(preprocessor(data, training=True)['inputs'], first)


def test_pseudo_collated_inputs_are_augmented_image_by_image():
    preprocessor = make_preprocessor()
    stacked = batch(3)
    listed = dict(stacked, inputs=list(stacked['inputs']), **{AUGMENT_SEED_KEY: 7})
    out = preprocessor(listed, training=True)['inputs']
    assert out.shape == (3, 3, 40, 52)
    generator = torch.Generator().manual_seed(preprocessor_module.PixelAugmentClsDataPreprocessor._seed(listed))
    first = preprocessor._augment_batch(stacked['inputs'][:1], generator)
    torch.testing.assert_close(out[0], ((first[0].flip(0) - torch.tensor(MEAN).view(3, 1, 1)) /
                                        torch.tensor(STD).view(3, 1, 1)), rtol=0, atol=1e-6)
