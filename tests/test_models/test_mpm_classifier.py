"""MPMClassifier: the bypass runs in training only; ResNet with GELU."""
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import PixelData
from mmpretrain.models import ResNet
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

MPM_SYNTHETIC = Path(__file__).parents[2] / 'configs' / 'mpm' / 'mpm_r18_synthetic.py'


def build_synthetic_mpm(**model_options) -> nn.Module:
    """The small synthetic MPM (6 classes, 22 part classes) with random weights."""
    register_all_modules()
    cfg = Config.fromfile(str(MPM_SYNTHETIC))
    model_cfg = cfg.model
    model_cfg.update(model_options)
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(model_cfg)


def samples(n: int, size: int = 32):
    out = []
    for i in range(n):
        sample = DataSample().set_gt_label(i % 6)
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 22, (1, size, size)))
        out.append(sample)
    return out


def count_calls(module: nn.Module) -> list:
    calls = []
    for sub in module.modules():
        sub.register_forward_hook(lambda m, i, o: calls.append(type(m).__name__))
    return calls


def test_no_bypass_layer_runs_outside_training():
    model = build_synthetic_mpm(attack=None)
    calls = count_calls(model.part_head)
    inputs = torch.randn(2, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        predictions = model(inputs, samples(2), mode='predict')
        logits = model(inputs, mode='tensor')
        pooled = model.extract_feat(inputs)
    assert calls == []
    assert len(predictions) == 2 and tuple(logits.shape) == (2, 6) and tuple(pooled[0].shape) == (2, 256)
    model.train()
    model(inputs, samples(2), mode='loss')
    assert 'Conv2d' in calls and 'BatchNorm2d' in calls  # the counter does see the bypass when it runs


def test_loss_terms():
    model = build_synthetic_mpm(attack=None)
    losses = model(torch.randn(2, 3, 32, 32), samples(2), mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {'loss_cls', 'loss_part_s0', 'loss_part_s1', 'loss_part_s2'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None for p in model.parameters())  # DDP needs no find_unused_parameters
    head = dict(Config.fromfile(str(MPM_SYNTHETIC)).model.head, cal_acc=True)  # the head also reports accuracy
    losses = build_synthetic_mpm(attack=None, head=head)(torch.randn(2, 3, 32, 32), samples(2), mode='loss')
    assert {'loss_cls', 'accuracy_top-1'} <= set(losses) and 'loss' not in losses  # only the class loss is renamed


def test_resnet_act_gelu_keeps_resnet_weights():
    register_all_modules()
    backbone = MODELS.build(dict(type='ResNetAct', depth=50, act_cfg=dict(type='GELU')))
    assert not any(isinstance(m, nn.ReLU) for m in backbone.modules())
    assert sum(isinstance(m, nn.GELU) for m in backbone.modules()) == 17  # stem + one per bottleneck
    plain = ResNet(depth=50)
    assert {k: v.shape for k, v in backbone.state_dict().items()} == {k: v.shape for k, v in plain.state_dict().items()}
    deep = MODELS.build(dict(type='ResNetAct', depth=18, deep_stem=True, act_cfg=dict(type='GELU')))
    assert not any(isinstance(m, nn.ReLU) for m in deep.modules())
    assert sum(isinstance(m, nn.GELU) for m in deep.stem.modules()) == 3  # one per stem conv


def small_convnext_mpm_cfg():
    """The synthetic MPM with a 4-stage ConvNeXt of 8-64 channels: its extra outputs get their own norms."""
    register_all_modules()
    cfg = Config.fromfile(str(MPM_SYNTHETIC))
    model_cfg = cfg.model
    model_cfg.attack = None
    model_cfg.backbone = dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
                              out_indices=(1, 2, 3), gap_before_final_norm=False)
    model_cfg.head.in_channels = 64
    model_cfg.part_head.update(in_channels=[16, 32, 64], channels=32)
    return model_cfg


def small_convnext_mpm() -> nn.Module:
    return MODELS.build(small_convnext_mpm_cfg())


def test_inference_skips_the_backbone_outputs_only_the_bypass_reads():
    """predict / tensor / extract_feat run the backbone with its last stage only: ConvNeXt's norm1 and norm2
    (outputs of stages 2 and 3, for the bypass) do not run, and ``out_indices`` is restored afterwards."""
    model = small_convnext_mpm().eval()
    ran = []
    for name in ('norm1', 'norm2', 'norm3'):
        getattr(model.backbone, name).register_forward_hook(lambda m, i, o, name=name: ran.append(name))
    inputs = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        model(inputs, samples(2), mode='predict')
        model(inputs, mode='tensor')
        pooled = model.extract_feat(inputs)
    assert ran == ['norm3'] * 3 and tuple(pooled[0].shape) == (2, 64)
    assert list(model.backbone.out_indices) == [1, 2, 3]
    assert [tuple(f.shape[1:]) for f in model.extract_feat(inputs, stage='backbone')] == [(16, 4, 4), (32, 2, 2),
                                                                                         (64, 1, 1)]
    ran.clear()
    model.train()(inputs, samples(2, size=32), mode='loss')
    assert ran == ['norm1', 'norm2', 'norm3']


def test_resnet_act_default_is_resnet():
    register_all_modules()
    torch.manual_seed(0)
    act = MODELS.build(dict(type='ResNetAct', depth=18, out_indices=(2, 3)))
    plain = ResNet(depth=18, out_indices=(2, 3))
    plain.load_state_dict(act.state_dict())
    act.eval(), plain.eval()  # (mmpretrain's ResNet.train returns None)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(act(x), plain(x), atol=0, rtol=0)  # ReLU everywhere, as ResNet


class _FixedBackbone(nn.Module):
    """Three feature maps of a 1×1 conv; ``out_indices`` only when given (int or absent: no stage cutting)."""

    def __init__(self, **attributes):
        super().__init__()
        self.conv = nn.Conv2d(3, 256, 1)
        self.__dict__.update(attributes)

    def forward(self, x):
        y = self.conv(x)
        return y, 2 * y, 3 * y


def test_feature_stages_and_the_last_stage_only_pass():
    model = build_synthetic_mpm(attack=None).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        neck = model.extract_feat(x, stage='neck')
        assert len(neck) == 1  # the last scale only
        torch.testing.assert_close(model.extract_feat(x, stage='pre_logits'), model.head.pre_logits(neck))
        # two out_indices are cut to the last one for the pass, and restored
        seen = []
        model.backbone.out_indices = (2, 3)
        model.backbone.register_forward_pre_hook(lambda m, args: seen.append(tuple(m.out_indices)))
        model.extract_feat(x)
        assert seen == [(3, )] and model.backbone.out_indices == (2, 3)
        # a backbone whose out_indices is no sequence, or that has none, runs as it is and its last output is used
        for attributes in (dict(out_indices=3), dict()):
            model.backbone = _FixedBackbone(**attributes)
            last = model.extract_feat(x)
            assert len(last) == 1
            torch.testing.assert_close(last[0], model.neck((3 * model.backbone.conv(x), ))[0])
    with pytest.raises(ValueError,
                       match=r'^Invalid output stage "head": choose from "backbone", "neck", "pre_logits"$'):
        model.extract_feat(x, stage='head')
    init_cfg = dict(type='Constant', val=0.5, layer='Linear')
    assert build_synthetic_mpm(init_cfg=init_cfg).init_cfg == init_cfg
    assert build_synthetic_mpm(pretrained='r18.pth').init_cfg == dict(type='Pretrained', checkpoint='r18.pth')
    augments = dict(augments=dict(type='Mixup', alpha=1.0))
    assert build_synthetic_mpm(train_cfg=augments).data_preprocessor.batch_augments is not None
