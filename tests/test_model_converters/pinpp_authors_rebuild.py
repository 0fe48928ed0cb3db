"""A rebuild of the PIN++ authors' model code (LixiaoTHU/PartImageNetPP at e132f50: model/model.py build_model /
build_part_model, model/partmodel.py SeparableConv2d and MPM with dtype='resnet'), module layout, names and forward as
there, so their checkpoints' keys and numbers can be reproduced with random weights. Not mmpart code: a test oracle."""
import argparse

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F


def replace_relu_with_gelu(module: nn.Module) -> None:
    """As their build_model / build_part_model: every nn.ReLU child becomes nn.GELU()."""
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            setattr(module, name, nn.GELU())
        else:
            replace_relu_with_gelu(child)


class SeparableConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1, padding=0, bias=False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, groups=in_channels, bias=bias)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.conv1(x))


def _gelu_sepconv(in_channels, out_channels):
    return nn.Sequential(nn.GELU(), SeparableConv2d(in_channels, out_channels, kernel_size=3, padding=1))


class MPM(nn.Module):
    """Their MPM for a ResNet segmenter (dtype='resnet', compact ratio 4, level 3, down=True)."""

    def __init__(self, segmenter, seg_classes, num_classes):
        super().__init__()
        self.segmenter = segmenter
        del self.segmenter.fc
        width = segmenter.num_features // 4
        self.cp1 = nn.Sequential(nn.Conv2d(width * 4, width, 1, bias=False), nn.BatchNorm2d(width))
        self.cp2 = nn.Sequential(nn.Conv2d(width * 2, width // 2, 1, bias=False), nn.BatchNorm2d(width // 2))
        self.cp3 = nn.Sequential(nn.Conv2d(width, width // 4, 1, bias=False), nn.BatchNorm2d(width // 4))
        self.segmenter_head1 = _gelu_sepconv(width, seg_classes)
        self.up_layer1 = _gelu_sepconv(width, width // 2)
        self.segmenter_head2 = _gelu_sepconv(width // 2, seg_classes)
        self.up_layer2 = _gelu_sepconv(width // 2, width // 4)
        self.segmenter_head3 = _gelu_sepconv(width // 4, seg_classes)
        self.classifer = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                       nn.Linear(segmenter.num_features, num_classes))

    @staticmethod
    def _upsample_add(x, y):
        return F.interpolate(x, size=y.shape[2:], mode='bilinear', align_corners=False) + y

    def forward(self, x, return_seg=False):
        s = self.segmenter
        x = s.maxpool(s.act1(s.bn1(s.conv1(x))))
        x = s.layer2(s.layer1(x))
        features = [self.cp3(x)]
        x = s.layer3(x)
        features.append(self.cp2(x))
        x = s.layer4(x)
        features.append(self.cp1(x))
        logits = self.classifer(x)
        if not return_seg:
            return logits
        x = features[-1]
        sr1 = self.segmenter_head1(x)
        mr2 = self._upsample_add(self.up_layer1(x), features[-2])
        sr2 = self.segmenter_head2(mr2)
        sr3 = self.segmenter_head3(self._upsample_add(self.up_layer2(mr2), features[-3]))
        return logits, [sr3, sr2, sr1]


def build_model(part: bool, seg_classes: int = 3311) -> nn.Module:
    """build_model (plain) or build_part_model (MPM) of their code for ``model: resnet50``."""
    segmenter = timm.create_model('resnet50', pretrained=False, num_classes=1000)
    model = MPM(segmenter, seg_classes, 1000) if part else segmenter
    replace_relu_with_gelu(model)
    return model


class EvalModel(nn.Module):
    """Their eval.py's wrapper: NormalizeByChannelMeanStd (ImageNet mean / std) on [0, 1] pixels, then the model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model.eval()
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, img, return_seg=False):
        x = (img - self.mean) / self.std
        return self.model(x, return_seg=True) if return_seg else self.model(x)


def timm_checkpoint(model: nn.Module, ema_state: dict) -> dict:
    """What timm's CheckpointSaver writes from their adv_train.py: raw and EMA weights, the arguments."""
    return dict(epoch=79, arch='resnet50', state_dict=model.state_dict(), state_dict_ema=ema_state, version=2,
                args=argparse.Namespace(model='resnet50', seg_classes=3311, lambdas=1.0, output_size=[[28, 28]]),
                metric=41.2)
