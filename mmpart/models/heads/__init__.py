"""Heads."""
from .cosine_proto_head import CosineProtoHead
from .few_shot_head import BaseFewShotHead, class_means
from .logistic_regression_head import LogisticRegressionHead
from .mpm_part_head import MPMPartHead
from .proto_net_head import ProtoNetHead

__all__ = ['MPMPartHead', 'BaseFewShotHead', 'ProtoNetHead', 'CosineProtoHead', 'LogisticRegressionHead', 'class_means']
