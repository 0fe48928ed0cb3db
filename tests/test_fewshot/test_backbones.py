"""ResNet-12 and Conv-4: feature shapes at 84 px, the standard ResNet-12 size, out_indices."""
import pytest
import torch

from mmpart.models.backbones import Conv4, ResNet12


def test_resnet12_shapes_at_84px():
    model = ResNet12(out_indices=(0, 1, 2, 3)).eval()
    with torch.no_grad():
        outs = model(torch.zeros(2, 3, 84, 84))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 42, 42), (2, 160, 21, 21), (2, 320, 10, 10), (2, 640, 5, 5)]
    assert ResNet12()(torch.zeros(1, 3, 84, 84))[0].shape == (1, 640, 5, 5)  # default: last block only


def test_resnet12_is_the_standard_12_layer_network():
    model = ResNet12()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert sum(m.kernel_size == (3, 3) for m in convs) == 12 and sum(m.kernel_size == (1, 1) for m in convs) == 4
    # the widely quoted size of the 64-160-320-640 ResNet-12 (MetaOptNet, RFS, Meta-Baseline): 12.4M parameters
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(12.42e6, rel=0.01)
    assert all(isinstance(m.pool, torch.nn.MaxPool2d) for m in model.stages)


def test_conv4_gives_the_1600_d_protonet_feature():
    model = Conv4(out_indices=(1, 3)).eval()
    with torch.no_grad():
        outs = model(torch.zeros(2, 3, 84, 84))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 21, 21), (2, 64, 5, 5)]
    assert outs[-1].flatten(1).shape[1] == 1600


def test_out_indices_are_checked_and_negative_ones_allowed():
    assert ResNet12(widths=(8, 8, 8, 8), out_indices=(-2, -1)).out_indices == (2, 3)
    with pytest.raises(ValueError, match='out_indices must be increasing'):
        ResNet12(out_indices=(3, 1))
    with pytest.raises(ValueError, match='out_indices must be increasing'):
        Conv4(out_indices=(4, ))
    with pytest.raises(ValueError, match='4 blocks'):
        ResNet12(widths=(8, 8, 8))


def test_norm_eval_freezes_batch_norm_statistics():
    model = Conv4(channels=(4, 4, 4, 4), norm_eval=True).train()
    bn = model.stages[0][1]
    before = bn.running_mean.clone()
    model(torch.randn(4, 3, 32, 32))
    assert not bn.training and torch.equal(bn.running_mean, before)
