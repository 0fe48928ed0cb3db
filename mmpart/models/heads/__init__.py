"""Heads."""
from .compositional_part_head import CompositionalPartHead
from .cosine_proto_head import CosineProtoHead
from .few_shot_head import BaseFewShotHead, class_means
from .logistic_regression_head import LogisticRegressionHead
from .maml_head import MAMLHead
from .mpm_part_head import MPMPartHead
from .multi_feature_cosine_head import MultiFeatureCosineHead
from .point_loss_decode_heads import (
    PointLossASPPHead,
    PointLossFCNHead,
    PointLossFPNHead,
    PointLossSegformerHead,
    PointSampledLossMixin,
)
from .proto_net_head import ProtoNetHead

__all__ = [
    'BaseFewShotHead', 'CompositionalPartHead', 'CosineProtoHead', 'LogisticRegressionHead', 'MAMLHead', 'MPMPartHead',
    'MultiFeatureCosineHead', 'PointLossASPPHead', 'PointLossFCNHead', 'PointLossFPNHead', 'PointLossSegformerHead',
    'PointSampledLossMixin', 'ProtoNetHead', 'class_means'
]
