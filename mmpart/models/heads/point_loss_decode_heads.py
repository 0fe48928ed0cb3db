"""mmseg decode heads whose loss is evaluated at randomly drawn label pixels, for thousands of classes.

mmseg's ``BaseDecodeHead.loss_by_feat`` upsamples the N×C logits to the label's full resolution before
the loss: with PIN++'s 3,309 classes that is 3.5 GB per 512² crop in float32, plus its gradient. The
loss is a mean over pixels, so its mean over pixels drawn uniformly at random is an unbiased estimate
of it (and of its gradient). These heads run the decode head up to its classifier as usual, sample the
features at the drawn pixels exactly as the upsampled logits would be sampled (the classifier is a
1×1 conv, bilinear resizing is linear and its weights sum to 1, so the two commute) and classify
there only: C × P logits instead of C × H × W. Prediction is unchanged (dense maps).
"""
from typing import List, Tuple, Union

import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmseg.models.decode_heads import ASPPHead, FCNHead, FPNHead, SegformerHead
from mmseg.models.losses import accuracy

from mmpart.registry import MODELS

from ..utils import check_num_points, gather_pixels, points_for, project_points, random_pixels, resized_at_pixels


class PointSampledLossMixin:
    """Mixin for an mmseg ``BaseDecodeHead`` whose ``forward`` ends with ``self.cls_seg(features)``.

    ``loss`` draws ``num_points`` label pixels per image uniformly at random (without replacement),
    and computes ``loss_decode`` and ``acc_seg`` on the logits there. Log keys are mmseg's
    (``loss_ce``, ``acc_seg``). With mmseg's default ``avg_non_ignore=False`` the loss is the mean
    over all pixels, ignored ones adding 0, and its estimate is unbiased.

    The head is built in mmseg's scope, so its nested modules (``loss_decode``) resolve as in upstream
    configs: write ``dict(type='PointLossFPNHead', _scope_='mmpart', ...)`` in place of ``FPNHead``.

    Args:
        num_points: label pixels per image: a count, or a fraction of the pixels (float in (0, 1]).
        *args, **kwargs: the decode head's arguments. A pixel ``sampler`` (OHEM) is not supported.
    """

    def __init__(self, *args, num_points: Union[int, float] = 8192, **kwargs) -> None:
        with DefaultScope.overwrite_default_scope('mmseg'):
            super().__init__(*args, **kwargs)
        if self.sampler is not None:
            raise ValueError(f'{type(self).__name__} evaluates its loss at random pixels: remove sampler='
                             f'{type(self.sampler).__name__}')
        self.num_points = check_num_points(num_points)[0]
        self._features_only = False

    def cls_seg(self, feat: torch.Tensor) -> torch.Tensor:
        """Classify each pixel; inside ``loss`` only the dropout, the classifier runs at the drawn pixels."""
        if self._features_only:
            return feat if self.dropout is None else self.dropout(feat)
        return super().cls_seg(feat)

    def _pixel_features(self, inputs: Tuple[torch.Tensor]) -> torch.Tensor:
        """``forward`` up to the 1×1 classifier ``conv_seg``: N×channels×h×w."""
        self._features_only = True
        try:
            feats = self.forward(inputs)
        finally:
            self._features_only = False
        if feats.shape[1] != self.conv_seg.in_channels:
            raise RuntimeError(f'{type(self).__name__}.forward must end with cls_seg(features) for the point-sampled'
                               f' loss; it returned {feats.shape[1]} channels, conv_seg takes '
                               f'{self.conv_seg.in_channels}')
        return feats

    def loss(self, inputs: Tuple[torch.Tensor], batch_data_samples: List, train_cfg: dict) -> dict:
        """Loss and accuracy at ``num_points`` random label pixels per image."""
        feats = self._pixel_features(inputs)
        labels = self._stack_batch_gt(batch_data_samples)[:, 0]
        num, height, width = labels.shape
        index = random_pixels(num, height * width, points_for(self.num_points, height * width), feats.device)
        point_labels = gather_pixels(labels, index)
        point_feats = resized_at_pixels(feats, index, (height, width), self.align_corners)
        logits = project_points(point_feats, self.conv_seg)  # N×C×P
        losses = {}
        loss_fns = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for loss_fn in loss_fns:
            loss = loss_fn(logits, point_labels, ignore_index=self.ignore_index)
            losses[loss_fn.loss_name] = losses.get(loss_fn.loss_name, 0) + loss
        losses['acc_seg'] = accuracy(logits, point_labels, ignore_index=self.ignore_index)
        return losses


@MODELS.register_module()
class PointLossFPNHead(PointSampledLossMixin, FPNHead):
    """mmseg's ``FPNHead`` (Semantic FPN) with the loss at random pixels (:class:`PointSampledLossMixin`)."""


@MODELS.register_module()
class PointLossASPPHead(PointSampledLossMixin, ASPPHead):
    """mmseg's ``ASPPHead`` (DeepLabv3) with the loss at random pixels (:class:`PointSampledLossMixin`)."""


@MODELS.register_module()
class PointLossFCNHead(PointSampledLossMixin, FCNHead):
    """mmseg's ``FCNHead`` (e.g. an auxiliary head) with the loss at random pixels (:class:`PointSampledLossMixin`)."""


@MODELS.register_module()
class PointLossSegformerHead(PointSampledLossMixin, SegformerHead):
    """mmseg's ``SegformerHead`` with the loss at random pixels (:class:`PointSampledLossMixin`)."""
