"""Backbones."""
from .conv4 import Conv4
from .resnet12 import ResNet12
from .resnet_act import ResNetAct

__all__ = ['ResNetAct', 'ResNet12', 'Conv4']
