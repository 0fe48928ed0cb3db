"""mmseg decode heads with the loss at random pixels: mmseg's loss when every pixel is drawn, and in expectation."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.models.decode_heads import ASPPHead, FCNHead, FPNHead, SegformerHead
from mmseg.models.losses import CrossEntropyLoss
from mmseg.structures import SegDataSample

from mmpart.models.utils import gather_pixels, random_pixels, resized_at_pixels
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules
from tests.test_engine.tiny_classifier import one_thread

CONFIGS = Path(__file__).parents[2] / 'configs/partseg'
IGNORE = 65535
BN = dict(type='BN', requires_grad=True)
# (point-loss head, mmseg head, tiny arguments, inputs: N=2 maps of 8² and 4² for 32² labels)
HEADS = {
    'PointLossFPNHead': (FPNHead, dict(in_channels=[4, 4], in_index=[0, 1], feature_strides=[4, 8], channels=8)),
    'PointLossASPPHead': (ASPPHead, dict(in_channels=4, in_index=1, dilations=(1, 2), channels=8)),
    'PointLossFCNHead': (FCNHead, dict(in_channels=4, in_index=1, num_convs=1, channels=8)),
    'PointLossSegformerHead': (SegformerHead, dict(in_channels=[4, 4], in_index=[0, 1], channels=8)),
}


@pytest.fixture(scope='module', autouse=True)
def single_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def batch():
    gen = torch.Generator().manual_seed(0)
    feats = (torch.randn(2, 4, 8, 8, generator=gen), torch.randn(2, 4, 4, 4, generator=gen))
    samples = []
    for _ in range(2):
        mask = torch.randint(0, 5, (1, 32, 32), generator=gen)
        mask[:, :3] = IGNORE
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=mask)
        samples.append(sample)
    return feats, samples


def heads(name: str, **kwargs):
    """The point-loss head and mmseg's head with the same weights."""
    register_all_modules()
    parent, cfg = HEADS[name]
    cfg = dict(dict(cfg, num_classes=5, dropout_ratio=0, norm_cfg=BN, ignore_index=IGNORE), **kwargs)
    num_points = {'num_points': cfg.pop('num_points')} if 'num_points' in cfg else {}
    torch.manual_seed(0)
    point_head = MODELS.build(dict(type=name, **num_points, **cfg)).train()
    with DefaultScope.overwrite_default_scope('mmseg'):  # as an mmseg config builds it
        dense_head = parent(**cfg).train()
    dense_head.load_state_dict(point_head.state_dict())
    return point_head, dense_head


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('src,dst', [((8, 8), (32, 32)), ((5, 7), (16, 20)), ((6, 6), (6, 6)), ((3, 3), (2, 2))])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_resized_at_pixels_is_the_resized_map_there(src, dst, align_corners, dtype):
    torch.manual_seed(0)
    x = torch.randn(2, 3, *src, dtype=dtype)
    index = random_pixels(2, dst[0] * dst[1], min(30, dst[0] * dst[1]), 'cpu')
    resized = F.interpolate(x, size=dst, mode='bilinear', align_corners=align_corners)
    assert torch.allclose(resized_at_pixels(x, index, dst, align_corners), gather_pixels(resized, index), atol=1e-5)
    if not align_corners:  # the default, as F.interpolate's
        assert torch.allclose(resized_at_pixels(x, index, dst), gather_pixels(resized, index), atol=1e-5)


@pytest.mark.parametrize('name', list(HEADS))
def test_every_pixel_drawn_gives_mmsegs_loss(name, batch):
    feats, samples = batch
    point_head, dense_head = heads(name)  # 8192 points by default, ≥ 32² pixels: all of them
    assert point_head.num_points == 8192
    assert torch.equal(point_head(feats), dense_head(feats))  # prediction is mmseg's, before and after a loss
    point, dense = point_head.loss(feats, samples, None), dense_head.loss(feats, samples, None)
    assert set(point) == set(dense) == {'loss_ce', 'acc_seg'}
    for key in dense:
        assert point[key].item() == pytest.approx(dense[key].item(), rel=1e-5)
    assert torch.equal(point_head(feats), dense_head(feats))
    assert type(point_head.loss_decode) is CrossEntropyLoss  # built in mmseg's scope


def test_align_corners_head_gives_mmsegs_loss(batch):
    point_head, dense_head = heads('PointLossFPNHead', align_corners=True)
    assert point_head.loss(*batch, None)['loss_ce'].item() == pytest.approx(
        dense_head.loss(*batch, None)['loss_ce'].item(), rel=1e-5)


def test_dropout_and_several_losses_as_mmseg(batch):
    # dropout drops the same feature channels in both heads when the seed is the same (it runs before the pixels
    # are drawn); two losses of one name add up, as in mmseg
    loss_decode = [dict(type='CrossEntropyLoss', loss_weight=1.0), dict(type='CrossEntropyLoss', loss_weight=0.5)]
    point_head, dense_head = heads('PointLossFCNHead', dropout_ratio=0.5, loss_decode=loss_decode)
    torch.manual_seed(3)
    point = point_head.loss(*batch, None)['loss_ce']
    torch.manual_seed(3)
    dense = dense_head.loss(*batch, None)['loss_ce']
    assert point.item() == pytest.approx(dense.item(), rel=1e-5)
    point_head, dense_head = heads('PointLossFCNHead', loss_decode=loss_decode)  # no dropout
    assert dense.item() != pytest.approx(dense_head.loss(*batch, None)['loss_ce'].item(), rel=1e-3)  # it did drop
    single = heads('PointLossFCNHead', loss_decode=loss_decode[0])[0].loss(*batch, None)['loss_ce']
    assert point_head.loss(*batch, None)['loss_ce'].item() == pytest.approx(1.5 * single.item(), rel=1e-5)


def test_positional_arguments_reach_the_decode_head():
    register_all_modules()
    head = MODELS.get('PointLossFCNHead')(1, 1, in_channels=4, channels=8, num_classes=5, num_points=16)
    assert (head.num_convs, head.kernel_size, head.channels, head.num_points) == (1, 1, 8, 16)


def test_loss_at_random_pixels_is_mmsegs_loss_in_expectation(batch):
    draws = 300
    point_head, dense_head = heads('PointLossFPNHead', num_points=20)
    with torch.no_grad():
        dense = dense_head.loss(*batch, None)['loss_ce']
        torch.manual_seed(1)
        losses = torch.stack([point_head.loss(*batch, None)['loss_ce'] for _ in range(draws)])
    mean, se = losses.mean(), losses.std() / draws**0.5
    assert se > 0 and (mean - dense).abs() <= 5 * se, ((mean - dense) / se).item()


def test_unsupported_heads_fail_clearly(batch):
    with pytest.raises(ValueError, match='PointLossFCNHead evaluates its loss at random pixels: remove '
                                         'sampler=OHEMPixelSampler'):
        heads('PointLossFCNHead', sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=10))
    point_head, _ = heads('PointLossFCNHead')
    point_head.forward = lambda inputs: torch.zeros(2, 5, 4, 4)  # a forward that does not end with cls_seg
    with pytest.raises(RuntimeError, match=r'PointLossFCNHead.forward must end with cls_seg\(features\) for the '
                                           'point-sampled loss; it returned 5 channels, conv_seg takes 8'):
        point_head.loss(*batch, None)


@pytest.mark.parametrize('config', ['fpn_r50_4xb4-40k_pinpp-512x512.py', 'deeplabv3_r50-d8_4xb4-40k_pinpp-512x512.py',
                                    'segformer_mit-b2_4xb4-40k_pinpp-512x512.py'])  # the others inherit these
def test_pinpp_configs_use_the_point_loss_at_4_crops_per_gpu(config):
    cfg = Config.fromfile(str(CONFIGS / config))
    heads_cfg = [cfg.model.decode_head] + ([cfg.model.auxiliary_head] if cfg.model.get('auxiliary_head') else [])
    assert all(h.type.startswith('PointLoss') and h._scope_ == 'mmpart' and h.num_points == 8192 for h in heads_cfg)
    assert cfg.train_dataloader.batch_size == 4 and '4xb4' in config
