"""Heads."""
from .cosine_proto_head import CosineProtoHead
from .few_shot_head import BaseFewShotHead, class_means
from .logistic_regression_head import LogisticRegressionHead
from .mpm_part_head import MPMPartHead
from .point_loss_decode_heads import (
    PointLossASPPHead,
    PointLossFCNHead,
    PointLossFPNHead,
    PointLossSegformerHead,
    PointSampledLossMixin,
)
from .proto_net_head import ProtoNetHead

__all__ = [
    'BaseFewShotHead', 'CosineProtoHead', 'LogisticRegressionHead', 'MPMPartHead', 'PointLossASPPHead',
    'PointLossFCNHead', 'PointLossFPNHead', 'PointLossSegformerHead', 'PointSampledLossMixin', 'ProtoNetHead',
    'class_means'
]
