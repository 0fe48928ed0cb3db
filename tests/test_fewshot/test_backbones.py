"""ResNet-12 and Conv-4: feature shapes at 84 px, the standard ResNet-12 size, out_indices."""
import math

import pytest
import torch
import torch.nn.functional as F

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
    assert Conv4(channels=(4, 4, 4, 4), out_indices=(-4, 3)).out_indices == (0, 3)  # -4 is the first of 4
    with pytest.raises(ValueError, match=r'^Conv4: out_indices must be increasing stage indices in \[-4, 4\), got '
                       r'\(-5, 3\)$'):
        Conv4(out_indices=(-5, 3))
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


def randomise_norms(model: torch.nn.Module) -> None:
    """Non-trivial BN statistics and affine parameters, so that a reference computation can tell them apart."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen))
            m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            m.weight.data.copy_(torch.randn(c, generator=gen))
            m.bias.data.copy_(torch.randn(c, generator=gen))


def bn(x, m):
    return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, eps=m.eps)


def test_resnet12_block_computes_the_documented_block():
    # three 3×3 conv + BN (LeakyReLU 0.1 between), plus a 1×1 conv + BN shortcut, LeakyReLU 0.1, 2×2 max-pool
    block = ResNet12(widths=(4, 4, 4, 4)).stages[0].eval()
    randomise_norms(block)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    layers = block.residual
    out = x
    for i, (conv, norm) in enumerate([(layers[0], layers[1]), (layers[3], layers[4]), (layers[6], layers[7])]):
        out = bn(F.conv2d(out, conv.weight, padding=1), norm)
        if i < 2:
            out = F.leaky_relu(out, 0.1)
    shortcut = bn(F.conv2d(x, block.shortcut[0].weight), block.shortcut[1])
    expected = F.max_pool2d(F.leaky_relu(out + shortcut, 0.1), 2)
    with torch.no_grad():
        assert torch.allclose(block(x), expected, atol=1e-5)


def test_conv4_block_computes_the_documented_block():
    block = Conv4(channels=(4, 4, 4, 4)).stages[0].eval()  # 3×3 conv, BN, ReLU, 2×2 max-pool
    randomise_norms(block)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    expected = F.max_pool2d(F.relu(bn(F.conv2d(x, block[0].weight, padding=1), block[1])), 2)
    with torch.no_grad():
        assert torch.allclose(block(x), expected, atol=1e-5)


def test_resnet12_initialisation():
    torch.manual_seed(0)
    model = ResNet12()
    model.init_weights()
    conv = model.stages[3].residual[0]  # 320 -> 640, 3×3: 1.8M weights
    gain = math.sqrt(2 / (1 + 0.1**2))  # Kaiming, LeakyReLU(0.1), fan out (not in)
    assert conv.weight.std().item() == pytest.approx(gain / math.sqrt(640 * 9), rel=0.01)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all((m.weight == 1).all() and (m.bias == 0).all() for m in norms)


def test_resnet12_initialisation_equals_kaiming_leaky_relu_fan_out_drawn_by_hand():
    torch.manual_seed(0)
    model = ResNet12(widths=(4, 8, 8, 16))
    model.init_weights()
    torch.manual_seed(0)
    reference = ResNet12(widths=(4, 8, 8, 16))  # the same draws for the default initialisation
    for m in reference.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, a=0.1, mode='fan_out', nonlinearity='leaky_relu')
    torch.testing.assert_close(model.state_dict(), reference.state_dict(), atol=0, rtol=0)


@pytest.mark.parametrize('backbone', [ResNet12, Conv4])
def test_defaults_train_the_norms_and_init_cfg_reaches_the_layers(backbone):
    model = backbone(out_indices=(3, ))
    assert model.norm_eval is False
    norms = [m for m in model.train().modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert model.training and all(m.training for m in norms)  # train() with no argument trains, norms included
    assert not any(m.training for m in model.eval().modules())
    model = backbone(init_cfg=dict(type='Constant', val=0.5, layer='Conv2d'))
    model.init_weights()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all((m.weight == 0.5).all() for m in convs)


def test_block_count_errors_name_what_was_given():
    with pytest.raises(ValueError, match=r'^ResNet12 has 4 blocks, got widths \(8, 8, 8\)$'):
        ResNet12(widths=(8, 8, 8))
    with pytest.raises(ValueError, match=r'^Conv4 has 4 blocks, got channels \(4, 4, 4, 4, 4\)$'):
        Conv4(channels=(4, 4, 4, 4, 4))


@pytest.mark.parametrize('backbone', [ResNet12, Conv4])
def test_norm_and_activation_configs_reach_every_block(backbone):
    model = backbone((4, 4, 4, 4), norm_cfg=dict(type='GN', num_groups=2), act_cfg=dict(type='GELU'))
    kinds = {type(m) for m in model.modules()}
    assert torch.nn.GroupNorm in kinds and torch.nn.GELU in kinds
    assert not kinds & {torch.nn.BatchNorm2d, torch.nn.ReLU, torch.nn.LeakyReLU}
    assert sum(isinstance(m, torch.nn.GELU) for m in model.modules()) == (3 * 4 if backbone is ResNet12 else 4)
