"""Backbones."""
from .constellation_resnet12 import ConstellationResNet12
from .conv4 import Conv4
from .resnet12 import ResNet12
from .resnet_act import ResNetAct

__all__ = ['ConstellationResNet12', 'ResNetAct', 'ResNet12', 'Conv4']
