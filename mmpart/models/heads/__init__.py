"""Heads."""
from .mpm_part_head import MPMPartHead
from .point_loss_decode_heads import (
    PointLossASPPHead,
    PointLossFCNHead,
    PointLossFPNHead,
    PointLossSegformerHead,
    PointSampledLossMixin,
)

__all__ = [
    'MPMPartHead', 'PointLossASPPHead', 'PointLossFCNHead', 'PointLossFPNHead', 'PointLossSegformerHead',
    'PointSampledLossMixin'
]
