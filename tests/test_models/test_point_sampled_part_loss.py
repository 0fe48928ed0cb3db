"""MPM's point-sampled part loss is the dense loss in expectation, value and gradient; None is the dense loss."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.datasets.part_id_table import IGNORE_INDEX
from mmpart.models.utils import check_num_points, gather_pixels, part_targets, points_for, random_pixels
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules
from tests.test_engine.tiny_classifier import one_thread

CONFIGS = Path(__file__).parents[2] / 'configs'
DRAWS = 200
# |mean of the draws - dense| may reach this many standard errors of the mean; a seeded run is
# deterministic, and with ~380 compared numbers a true bias-free estimate exceeds 5 SE with p < 1e-3
Z_MAX = 5.0


@pytest.fixture(scope='module', autouse=True)
def single_thread():
    with one_thread():
        yield


def build_head(**kwargs):
    register_all_modules()
    torch.manual_seed(0)
    cfg = dict(type='MPMPartHead', in_channels=[4, 8], channels=8, num_classes=5, label_smoothing=0.1,
               pseudo_weight=0.5)
    return MODELS.build({**cfg, **kwargs})


@pytest.fixture(scope='module')
def batch():
    """Backbone features (8² and 4²) and two samples with 16² masks: some ignored pixels, one pseudo."""
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, 4, 8, 8, generator=gen), torch.randn(2, 8, 4, 4, generator=gen)]
    samples = []
    for i in range(2):
        mask = torch.randint(0, 5, (1, 16, 16), generator=gen)
        mask[:, :2] = IGNORE_INDEX
        sample = DataSample().set_gt_label(0)
        sample.gt_sem_seg = PixelData(data=mask)
        sample.set_metainfo(dict(has_part_mask=True, is_pseudo=bool(i)))
        samples.append(sample)
    return feats, samples


def part_losses(head, batch) -> torch.Tensor:
    """The per-scale loss terms of ``head.loss``, as one tensor."""
    losses = head.loss(*batch)
    return torch.stack([losses['loss_part_s0'], losses['loss_part_s1']])


def test_dense_loss_is_unchanged(batch):
    # the numbers the dense loss gave before the point-sampled option existed (same seeded head and batch)
    head = build_head()
    losses = head.loss(*batch)
    assert losses['loss_part_s0'].item() == pytest.approx(0.33987489342689514, rel=1e-6)
    assert losses['loss_part_s1'].item() == pytest.approx(0.30475708842277527, rel=1e-6)
    assert losses['acc_part'].item() == pytest.approx(20.535715103149414, rel=1e-6)
    # and it is the forward pass's dense maps through loss_by_feat, bit for bit
    reference = head.loss_by_feat(head(batch[0]), batch[1])
    assert all(torch.equal(losses[key], reference[key]) for key in reference)


@pytest.mark.parametrize('kwargs', [dict(num_points=1.0), dict(num_points=[64, 16], importance_ratio=0.5)])
def test_all_pixels_give_the_dense_loss(batch, kwargs):
    dense = part_losses(build_head(), batch)
    assert torch.allclose(part_losses(build_head(**kwargs), batch), dense, rtol=1e-6)


def mean_and_standard_error(draws: torch.Tensor):
    return draws.mean(0), draws.std(0) / len(draws)**0.5


def test_sampled_loss_is_the_dense_loss_in_expectation(batch):
    dense = part_losses(build_head(), batch).detach()
    uniform, important = build_head(num_points=[10, 4]), build_head(num_points=[10, 4], importance_ratio=1.0)
    torch.manual_seed(1)
    with torch.no_grad():
        mean, se = mean_and_standard_error(torch.stack([part_losses(uniform, batch) for _ in range(DRAWS)]))
        biased, biased_se = mean_and_standard_error(torch.stack([part_losses(important, batch)
                                                                 for _ in range(DRAWS)]))
    assert (se > 0).all()  # the draws do differ
    assert ((mean - dense).abs() <= Z_MAX * se).all(), ((mean - dense) / se).tolist()
    # the same check sees the bias of uncertainty sampling (documented as biased)
    assert ((biased - dense).abs() > Z_MAX * biased_se).any()


def test_uncertainty_sampling_takes_the_smallest_margins_and_the_rest_at_random():
    # logits = features (identity projection): pixel p has logits [m_p, 0, 0, 0, 0], top-1 - top-2 margin m_p
    head = build_head(num_points=4, importance_ratio=0.5, oversample_ratio=16.0)  # candidates: all 16 pixels
    projection = torch.nn.Conv2d(5, 5, 1, bias=False)
    projection.weight.data = torch.eye(5)[..., None, None]
    margins = torch.randperm(16, generator=torch.Generator().manual_seed(0)).float() + 1
    x = torch.zeros(1, 5, 4, 4)
    x[0, 0] = margins.view(4, 4)
    smallest = set(margins.argsort()[:2].tolist())
    draws = [head._draw_points(x, 4, projection)[0].tolist() for _ in range(20)]
    assert all(len(set(d)) == 4 and smallest <= set(d) for d in draws)
    assert len({frozenset(d) - smallest for d in draws}) > 1  # the other two are drawn at random
    # one point by uncertainty: always the smallest margin
    head = build_head(num_points=4, importance_ratio=0.25, oversample_ratio=16.0)
    assert all(int(margins.argmin()) in head._draw_points(x, 4, projection)[0].tolist() for _ in range(10))
    # every pixel of a map that is not square, by fraction
    assert sorted(head._draw_points(torch.zeros(1, 5, 2, 8), 1.0, projection)[0].tolist()) == list(range(16))


def test_uncertainty_sampling_with_two_classes(batch):
    # one part and the background: the top-2 margin is the only margin there is
    feats, samples = batch
    binary = []
    for original in samples:
        mask = original.gt_sem_seg.data
        binary.append(DataSample(metainfo=original.metainfo).set_gt_label(0))
        binary[-1].gt_sem_seg = PixelData(data=torch.where(mask == IGNORE_INDEX, mask, mask.clamp(max=1)))
    losses = build_head(num_classes=2, num_points=8, importance_ratio=0.5).loss(feats, binary)
    assert all(torch.isfinite(losses[key]) and losses[key] > 0 for key in ('loss_part_s0', 'loss_part_s1'))


def gradient(head, batch) -> torch.Tensor:
    head.zero_grad()
    part_losses(head, batch).sum().backward()
    return torch.cat([p.grad.flatten() for p in head.parameters()])


def test_sampled_gradient_is_the_dense_gradient_in_expectation(batch):
    dense = gradient(build_head(), batch)
    head = build_head(num_points=[10, 4])
    torch.manual_seed(2)
    mean, se = mean_and_standard_error(torch.stack([gradient(head, batch) for _ in range(DRAWS)]))
    assert len(dense) > 300 and (se > 0).float().mean() > 0.9
    assert ((mean - dense).abs() <= Z_MAX * se + 1e-7).all(), ((mean - dense).abs() / se).max().item()


def test_targets_at_points_are_the_dense_targets_there():
    torch.manual_seed(0)
    labels = torch.randint(0, 7, (2, 32, 32))
    labels[0, :5] = IGNORE_INDEX
    sizes = [(16, 16), (8, 8), (4, 4)]
    points = [random_pixels(2, h * w, n, 'cpu') for (h, w), n in zip(sizes, (20, 10, 16))]
    dense = part_targets(labels, sizes, num_classes=12)
    sampled = part_targets(labels, sizes, num_classes=12, points=points)
    assert sampled[0].shape == (2, 20) and sampled[1].shape == (2, 12, 10) and sampled[2].shape == (2, 12, 16)
    for target, at_points, index in zip(dense, sampled, points):
        assert torch.equal(gather_pixels(target, index), at_points)


def test_random_pixels_and_point_counts():
    torch.manual_seed(0)
    index = random_pixels(3, 50, 20, 'cpu')
    assert index.shape == (3, 20) and index.min() >= 0 and index.max() < 50
    assert all(len(set(row.tolist())) == 20 for row in index)  # without replacement
    assert sorted(random_pixels(1, 50, 50, 'cpu')[0].tolist()) == list(range(50))
    assert [points_for(s, 784) for s in (100, 1000, 0.25, 1.0, 1e-6)] == [100, 784, 196, 784, 1]
    assert points_for(0.1, 49) == 5  # rounded to the nearest count
    assert check_num_points(0.25, 3) == [0.25] * 3 and check_num_points([64, 0.5], 2) == [64, 0.5]
    assert check_num_points(0.25) == [0.25] and check_num_points(1) == [1]  # one scale by default; one point
    with pytest.raises(ValueError, match=r'^num_points entry 0.0: give a positive int \(points per image\) or a '
                                         r'float in \(0, 1\] \(fraction of the pixels\)$'):
        check_num_points(0.0)
    for bad, match in [(0, 'entry 0'), (1.5, 'entry 1.5'), (True, 'entry True'), ([64], '1 entries for 2 scales')]:
        with pytest.raises(ValueError, match=match):
            check_num_points(bad, 2)
    with pytest.raises(ValueError, match='importance_ratio=2'):
        build_head(num_points=8, importance_ratio=2)


def test_sampled_head_still_predicts_dense_maps_and_measures_accuracy_at_points(batch):
    feats, samples = batch
    head = build_head(num_points=8)
    maps = head(feats)
    assert [tuple(m.shape) for m in maps] == [(2, 5, 8, 8), (2, 5, 4, 4)]
    assert tuple(head.predict(feats, [dict(img_shape=(32, 32))] * 2, None).shape) == (2, 5, 32, 32)
    # a head whose finest logits are the one-hot labels scores 100% at whatever points it draws
    labels = torch.cat([s.gt_sem_seg.data for s in samples])[:, 1::2, 1::2]  # nearest 16² → 8²
    one_hot = F.one_hot(torch.where(labels == IGNORE_INDEX, 0, labels), 5).permute(0, 3, 1, 2).float()
    head._pixel_features = lambda inputs: [one_hot, torch.zeros(2, 8, 4, 4)]
    head.seg_layers[0][-1] = torch.nn.Conv2d(5, 5, 1, bias=False)
    head.seg_layers[0][-1].weight.data = torch.eye(5)[..., None, None]  # logits = features
    assert head.loss(feats, samples)['acc_part'].item() == 100.0
    one_hot[:, :, 4, 4] = F.one_hot((labels[:, 4, 4] + 1) % 5, 5).float()  # unless a wrong pixel is drawn
    torch.manual_seed(0)
    assert [head.loss(feats, samples)['acc_part'].item() < 100 for _ in range(20)].count(True) > 0


def test_recipe_default_is_sampled_and_the_dense_switch_is_exact():
    recipe = Config.fromfile(str(CONFIGS / 'mpm/mpm_r50.py')).model.part_head
    dense = Config.fromfile(str(CONFIGS / 'mpm/mpm_r50_dense.py')).model.part_head
    synthetic = Config.fromfile(str(CONFIGS / 'mpm/mpm_r18_synthetic.py')).model.part_head
    assert recipe.num_points is not None and dense.num_points is None
    assert synthetic.num_points == recipe.num_points
    assert recipe.get('importance_ratio', 0) == 0 and synthetic.get('importance_ratio', 0) == 0  # unbiased
