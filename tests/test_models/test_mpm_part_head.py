"""MPM's part head: output shapes on real backbone pyramids, the part loss, prediction."""
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.datasets.part_id_table import IGNORE_INDEX
from mmpart.models.losses import soft_focal_loss
from mmpart.models.utils import part_sample_weights, part_targets
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

CONFIGS = Path(__file__).parents[2] / 'configs'
EPS = 0.1  # label smoothing of the targets


def build(cfg: dict):
    register_all_modules()
    return MODELS.build(cfg)


def sample(mask, has_part_mask=True, is_pseudo=False, label=0) -> DataSample:
    data_sample = DataSample().set_gt_label(label)
    data_sample.gt_sem_seg = PixelData(data=torch.as_tensor(mask, dtype=torch.int64)[None])
    data_sample.set_metainfo(dict(has_part_mask=has_part_mask, is_pseudo=is_pseudo))
    return data_sample


def tiny_head(**kwargs):
    cfg = dict(type='MPMPartHead', in_channels=[4, 8], channels=8, num_classes=3, label_smoothing=EPS)
    return build({**cfg, **kwargs})


@pytest.mark.parametrize('config,channels', [('mpm/mpm_r50.py', [512, 1024, 2048]),
                                             ('mpm/mpm_convnext-t.py', [192, 384, 768])])
def test_part_maps_on_backbone_pyramids(config, channels):
    cfg = Config.fromfile(str(CONFIGS / config))
    cfg.model.part_head.num_classes = 11  # the real 3309 classes only make the test slower
    model = build(cfg.model).eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.rand(1, 3, 224, 224), stage='backbone')
        maps = model.part_head(feats)
        parts = model.part_head.predict(feats, [dict(img_shape=(224, 224))], None)
    assert [f.shape[1] for f in feats] == channels
    assert [tuple(m.shape) for m in maps] == [(1, 11, 28, 28), (1, 11, 14, 14), (1, 11, 7, 7)]
    assert tuple(parts.shape) == (1, 11, 224, 224)


def test_reference_widths_and_no_unused_parameters():
    head = build(dict(type='MPMPartHead', in_channels=[512, 1024, 2048], channels=512, num_classes=5))
    assert [p.conv.out_channels for p in head.projections] == [128, 256, 512]
    assert not hasattr(head, 'conv_seg')
    feats = [torch.rand(2, c, s, s) for c, s in ((512, 8), (1024, 4), (2048, 2))]
    losses = head.loss_by_feat(head(feats), [sample(torch.randint(0, 5, (16, 16))) for _ in range(2)])
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None for p in head.parameters())


def reference_pixel_loss(logits, target, gamma=2.0):
    """(1 - exp(-ce))^γ · ce with ce = -Σ t log softmax(z), written out by hand."""
    norm = math.log(sum(math.exp(z) for z in logits))
    ce = -sum(t * (z - norm) for t, z in zip(target, logits))
    return (1 - math.exp(-ce))**gamma * ce


def smoothed(label, num_classes=3):
    return [1 - EPS + EPS / num_classes if c == label else EPS / num_classes for c in range(num_classes)]


@pytest.mark.parametrize('gamma,weight', [(2.0, 1.0), (0.0, 1.0), (1.5, 0.3), (3.0, 2.5)])
def test_loss_matches_hand_computation(gamma, weight):
    # 2×2 mask at a 2×2 finest scale and a 1×1 coarse one: the coarse target is the mean of the four
    # smoothed one-hot vectors (bilinear ×1/2), the loss λ × the mean over scales of the pixel means
    mask = [[0, 2], [1, IGNORE_INDEX]]
    fine = torch.tensor([[[0.5, -1.0], [2.0, 0.0]], [[0.0, 1.0], [-0.5, 3.0]], [[1.0, 0.2], [0.0, -2.0]]])[None]
    coarse = torch.tensor([0.3, -0.2, 0.1]).view(1, 3, 1, 1)
    head = tiny_head(loss_decode=dict(type='SoftFocalLoss', gamma=gamma, loss_weight=weight))
    losses = head.loss_by_feat([fine, coarse], [sample(mask)])

    pixels = [((0, 0), 0), ((0, 1), 2), ((1, 0), 1)]  # the ignored pixel adds 0 but counts in the mean
    expected_fine = sum(reference_pixel_loss(fine[0, :, y, x].tolist(), smoothed(label), gamma)
                        for (y, x), label in pixels) / 4
    coarse_target = [sum(smoothed(label)[c] for _, label in pixels) / 4 for c in range(3)]
    expected_coarse = reference_pixel_loss(coarse.flatten().tolist(), coarse_target, gamma)
    assert losses['loss_part_s0'].item() == pytest.approx(weight * expected_fine / 2, rel=1e-5)
    assert losses['loss_part_s1'].item() == pytest.approx(weight * expected_coarse / 2, rel=1e-5)
    # the formula on a literal case: uniform logits give ce = ln 3 whatever the target
    assert reference_pixel_loss([0.0] * 3, smoothed(1), gamma) == pytest.approx((1 - 1 / 3)**gamma * math.log(3))


def total_part_loss(head, masks_and_flags, logits):
    samples = [sample(m, **flags) for m, flags in masks_and_flags]
    losses = head.loss_by_feat(logits, samples)
    return sum(v for k, v in losses.items() if k.startswith('loss_part'))


def test_sample_weights():
    torch.manual_seed(0)
    part, blank = [[1, 0], [1, 1]], [[0, 0], [0, 0]]
    logits = [torch.randn(1, 3, 2, 2), torch.randn(1, 3, 1, 1)]
    twice = [torch.cat([x, x]) for x in logits]
    head = tiny_head(pseudo_weight=0.5)
    alone = total_part_loss(head, [(part, {})], logits)
    # weight-0 samples add nothing but stay in the mean over the batch, as the reference
    assert total_part_loss(head, [(part, {}), (blank, {})], twice) == pytest.approx(alone / 2)
    assert total_part_loss(head, [(part, {}), (part, dict(has_part_mask=False))], twice) == pytest.approx(alone / 2)
    assert total_part_loss(head, [(part, {}), (part, dict(is_pseudo=True))], twice) == pytest.approx(alone * 0.75)
    assert total_part_loss(head, [(blank, dict(is_pseudo=True))], logits) == 0
    # without ignore_blank an empty mask trains the background
    assert total_part_loss(tiny_head(ignore_blank=False), [(blank, {})], logits) > 0


@pytest.mark.parametrize('ignore_blank', [True, False])
def test_images_without_a_mask_weigh_nothing(ignore_blank):
    # an unlabelled image is not a picture without parts: whatever ignore_blank says, it adds 0
    torch.manual_seed(0)
    logits = [torch.randn(1, 3, 2, 2), torch.randn(1, 3, 1, 1)]
    head = tiny_head(ignore_blank=ignore_blank)
    blank = [[0, 0], [0, 0]]
    assert total_part_loss(head, [(blank, dict(has_part_mask=False))], logits) == 0
    assert head.loss_by_feat(logits, [DataSample().set_gt_label(0)])['loss_part_s0'].item() == 0  # no gt_sem_seg
    # ignore_blank decides only about masks that exist but are empty
    assert (total_part_loss(head, [(blank, {})], logits) > 0) == (not ignore_blank)


def test_samples_without_masks_and_bad_ids():
    head = tiny_head()
    logits = [torch.randn(2, 3, 2, 2, requires_grad=True), torch.randn(2, 3, 1, 1)]
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(1)]  # e.g. a dataset without masks
    losses = head.loss_by_feat(logits, samples)
    assert losses['loss_part_s0'].item() == 0 and losses['loss_part_s0'].requires_grad
    with pytest.raises(ValueError, match='num_classes=3'):
        head.loss_by_feat(logits, [sample([[0, 3], [0, 0]]), sample([[0, 0], [0, 0]])])


def test_targets_are_the_resized_smoothed_one_hot():
    # finest: the ids at pixel centres (the loss smooths them); coarser: the bilinearly resized
    # smoothed one-hot vectors, computed here the direct (dense, C-channel) way
    torch.manual_seed(0)
    labels = torch.randint(0, 7, (2, 32, 32))
    labels[0, :3] = IGNORE_INDEX
    targets = part_targets(labels, [(16, 16), (8, 8), (4, 4)], num_classes=12, smoothing=EPS)
    fine = labels[:, 1::2, 1::2]  # nearest ×1/2 at pixel centres
    assert torch.equal(targets[0], fine)
    valid = fine != IGNORE_INDEX
    dense = F.one_hot(fine.where(valid, 0), 12).permute(0, 3, 1, 2).float()
    dense = (dense * (1 - EPS) + EPS / 12) * valid[:, None]
    for target in targets[1:]:
        expected = F.interpolate(dense, size=target.shape[2:], mode='bilinear', align_corners=False)
        assert torch.allclose(target, expected, atol=1e-6)
    assert torch.allclose(targets[2][1].sum(0), torch.ones(4, 4))  # probabilities where nothing is ignored
    # the loss of the ids equals the loss of their dense smoothed one-hot vectors
    logits = torch.randn(2, 12, 16, 16)
    assert soft_focal_loss(logits, targets[0], label_smoothing=EPS, ignore_index=IGNORE_INDEX).item() == \
        pytest.approx(soft_focal_loss(logits, dense).item(), rel=1e-5)


def test_prediction_is_the_finest_map_resized_to_the_image():
    torch.manual_seed(0)
    fine, coarse = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 2, 2)
    parts = tiny_head().predict_by_feat([fine, coarse], [dict(img_shape=(8, 8))])
    assert torch.allclose(parts, F.interpolate(fine, size=(8, 8), mode='bilinear', align_corners=False))


def test_soft_focal_loss_defaults_by_hand():
    # pixel 0: logits (0, ln 3), label 1 -> p = 3/4, ce = ln(4/3); pixel 1 is ignored (-100) but counts in the mean
    pred = torch.tensor([[0.0, 0.0], [math.log(3), 5.0]]).view(1, 2, 1, 2)
    ids = torch.tensor([[[1, -100]]])
    expected = (1 / 4)**2 * math.log(4 / 3) / 2  # γ = 2, no smoothing
    assert soft_focal_loss(pred, ids).item() == pytest.approx(expected, rel=1e-6)
    assert soft_focal_loss(pred, ids, weight=torch.tensor([0.5])).item() == pytest.approx(expected / 2, rel=1e-6)
    assert build(dict(type='SoftFocalLoss', loss_weight=3.0))(pred, ids).item() == pytest.approx(3 * expected, rel=1e-6)
    assert build(dict(type='SoftFocalLoss'))(pred, ids).item() == pytest.approx(expected, rel=1e-6)  # γ 2, λ 1


def test_part_targets_and_sample_weights_defaults_by_hand():
    # ε = 0.1 by default: with C = 2 a labelled pixel is (0.05, 0.95), a background one (0.95, 0.05)
    fine, coarse = part_targets(torch.tensor([[[1, 0], [0, 0]]]), [(2, 2), (1, 1)], num_classes=2)
    assert fine.tolist() == [[[1, 0], [0, 0]]]
    assert coarse.flatten().tolist() == pytest.approx([(0.05 + 3 * 0.95) / 4, (0.95 + 3 * 0.05) / 4])
    # a part, blank, ignored only, a part beside ignored pixels, a part without a mask file
    labels = torch.tensor([[[1, 0]], [[0, 0]], [[IGNORE_INDEX, 0]], [[2, IGNORE_INDEX]], [[3, 3]]])
    has_mask = torch.tensor([True, True, True, True, False])
    is_pseudo = torch.tensor([True, False, False, False, False])
    assert part_sample_weights(labels, has_mask, is_pseudo).tolist() == [1, 0, 0, 1, 0]  # blank ignored, pseudo 1
    assert part_sample_weights(labels, has_mask, is_pseudo, ignore_blank=False, pseudo_weight=0.5).tolist() == [
        0.5, 1, 1, 1, 0]


def test_several_losses_add_up_and_accuracy_counts_weighted_labelled_pixels():
    fine = torch.tensor([[[0.0, 5.0], [5.0, 5.0]], [[5.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])[None]
    logits = [fine.repeat(2, 1, 1, 1), torch.zeros(2, 3, 1, 1)]  # predicts part 1 at (0, 0), background elsewhere
    # sample 1: one labelled pixel, predicted right; sample 2: blank, so weight 0 (1 of its 4 pixels is wrong)
    samples = [sample([[1, IGNORE_INDEX], [IGNORE_INDEX, IGNORE_INDEX]]), sample([[0, 0], [0, 0]])]
    one, two = tiny_head(), tiny_head(loss_decode=[dict(type='SoftFocalLoss', loss_weight=1.0),
                                                   dict(type='SoftFocalLoss', loss_weight=0.5)])
    single, double = one.loss_by_feat(logits, samples), two.loss_by_feat(logits, samples)
    assert single['acc_part'].item() == 100.0  # 1 of 1 counted pixels
    for key in ('loss_part_s0', 'loss_part_s1'):
        assert double[key].item() == pytest.approx(1.5 * single[key].item(), rel=1e-6)


def test_options_reach_the_layers():
    torch.manual_seed(0)
    feats = [torch.randn(1, 2, 8, 8), torch.randn(1, 4, 4, 4), torch.randn(1, 8, 2, 2)]
    head = tiny_head(in_index=[1, 2], norm_cfg=dict(type='GN', num_groups=2), act_cfg=dict(type='ReLU'),
                     init_cfg=dict(type='Constant', val=0.5, layer='Conv2d'), align_corners=True)
    assert isinstance(head.projections[0].norm, torch.nn.GroupNorm) and isinstance(head.seg_layers[0][0], torch.nn.ReLU)
    assert [tuple(m.shape) for m in head(feats)] == [(1, 3, 4, 4), (1, 3, 2, 2)]  # the last two inputs
    # align_corners reaches the upsampling between scales
    corners = head(feats)[0]
    head.align_corners = False
    assert not torch.allclose(corners, head(feats)[0])
    head.init_weights()
    assert all((m.weight == 0.5).all() for m in head.modules() if isinstance(m, torch.nn.Conv2d))
    tiny_head().init_weights()  # the default: no initialisation of the conv_seg the head does not have


def test_default_weights_and_ignored_pixels():
    torch.manual_seed(0)
    logits = [torch.randn(1, 3, 2, 2), torch.randn(1, 3, 1, 1)]
    part = [[1, 0], [1, 1]]
    plain = total_part_loss(tiny_head(), [(part, {})], logits)
    assert plain > 0
    bare = DataSample().set_gt_label(0)  # a mask without has_part_mask / is_pseudo: a real mask, not pseudo
    bare.gt_sem_seg = PixelData(data=torch.tensor(part)[None])
    assert tiny_head(pseudo_weight=0.5).loss_by_feat(logits, [bare])['loss_part_s0'] == pytest.approx(
        tiny_head().loss_by_feat(logits, [sample(part)])['loss_part_s0'])
    assert total_part_loss(tiny_head(), [(part, dict(is_pseudo=True))], logits) == pytest.approx(plain)  # weight 1
    # ignored pixels are not parts: a mask of background and ignored pixels is blank
    assert total_part_loss(tiny_head(), [([[IGNORE_INDEX, 0], [0, 0]], {})], logits) == 0
    assert total_part_loss(tiny_head(ignore_index=255), [([[255, 0], [0, 0]], {})], logits) == 0


def test_uncertainty_candidates_and_ratio_limits(monkeypatch):
    import mmpart.models.heads.mpm_part_head as mpm_part_head

    drawn = []
    draw = mpm_part_head.random_pixels
    monkeypatch.setattr(mpm_part_head, 'random_pixels', lambda *args: drawn.append(args[2]) or draw(*args))
    head = tiny_head(num_points=4, importance_ratio=0.5)
    head._draw_points(torch.randn(1, 4, 8, 8), 4, head.seg_layers[0][-1])  # finest features: 4 channels
    assert drawn == [12]  # oversample_ratio 3 by default: 3 × 4 candidates
    tiny_head(num_points=4, importance_ratio=0.5, oversample_ratio=1.0)  # no oversampling is allowed
    with pytest.raises(ValueError, match='oversample_ratio=0.5 >= 1'):
        tiny_head(num_points=4, importance_ratio=0.5, oversample_ratio=0.5)


@pytest.mark.parametrize('bad', [0, 2.5, 0.5])
def test_target_upsample_is_a_whole_number_from_1(bad):
    with pytest.raises(ValueError, match=f'^target_upsample must be a whole number >= 1, got {bad}$'):
        tiny_head(target_upsample=bad)
    assert tiny_head(target_upsample=2.0).target_upsample == 2


def test_accuracy_on_soft_targets_counts_each_cell_by_its_most_likely_part():
    fine = torch.zeros(1, 3, 1, 3)
    fine[0, 1] = 5.0  # predicts part 1 in each of the three cells
    # target_upsample 2: each finest cell covers 2×2 mask pixels; its target is their part mix
    mask = [[1, 1, 2, 2, IGNORE_INDEX, IGNORE_INDEX], [1, 2, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]]
    losses = tiny_head(target_upsample=2).loss_by_feat([fine, torch.zeros(1, 3, 1, 1)], [sample(mask)])
    assert losses['acc_part'].item() == 50.0  # cell 1 (mostly 1) right, cell 2 (part 2) wrong, cell 3 unlabelled
