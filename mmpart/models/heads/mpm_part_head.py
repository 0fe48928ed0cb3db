"""MPM's bypass: a multi-scale, top-down part segmentation head (DESIGN §3), mmseg-style."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from mmpart.datasets.part_id_table import IGNORE_INDEX
from mmpart.registry import MODELS

from ..utils import (
    check_num_points,
    gather_pixels,
    part_sample_weights,
    part_targets,
    points_for,
    project_points,
    random_pixels,
)
from ..utils.part_targets import MASK_RESIZE_MODES
from ..utils.point_sampling import NumPoints


def separable_conv(in_channels: int, out_channels: int, act_cfg: dict) -> nn.Sequential:
    """Activation, 3×3 depthwise conv, 1×1 pointwise conv (no bias, no norm), as MPM's reference."""
    return nn.Sequential(
        build_activation_layer(act_cfg),
        nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False),
        nn.Conv2d(in_channels, out_channels, 1, bias=False))


@MODELS.register_module()
class MPMPartHead(BaseDecodeHead):
    """Part segmentation at several scales from a backbone's multi-scale features.

    For inputs ordered fine → coarse (``in_index``) with widths ``channels // 2**k`` (k = 0 at the
    coarsest scale): a 1×1 conv + BN projection per scale; at the coarsest scale a prediction
    (activation + separable conv to C); then, going up, an up-layer (activation + separable conv
    halving the width), bilinear upsampling, the finer projection added, and a prediction.
    ResNet-50 stages 2-4 with ``channels=512`` is the reference: 2048→512, 1024→256, 512→128.

    ``forward`` returns one N×C×h×w logit map per scale, finest first. ``loss_by_feat`` is MPM's part
    loss: targets from the mask (:func:`part_targets`), per-sample weights
    (:func:`part_sample_weights`), ``loss_decode`` (:class:`SoftFocalLoss`) at every scale, averaged
    over scales and logged per scale (``loss_part_s0`` = finest). ``predict_by_feat`` gives the
    finest map resized to the image, so the head also works inside an mmseg segmentor.

    Point-sampled loss (``num_points``): the loss at a scale is a mean over its pixels, so its mean
    over pixels drawn uniformly at random (without replacement, per image and scale) is an unbiased
    estimate of it, and so is its gradient. ``loss`` then runs each prediction layer's 1×1
    projection to C classes, the bulk of the head's cost at PIN++'s 3,309 classes, at the drawn
    pixels only, with the targets built there only; everything before it stays dense (cheap, few
    channels). ``forward`` / ``predict`` (visualisation, ``predict_parts``) still give dense maps;
    ``acc_part`` is then measured at the drawn pixels. ``num_points=None`` is the dense loss.
    ``importance_ratio > 0`` draws like PointRend / Mask2Former: ``oversample_ratio × P`` random
    candidates, of which the ``importance_ratio × P`` most uncertain (smallest top-1 - top-2 logit
    margin) and the rest at random; this favours hard pixels and is a **biased** estimate of the loss.

    Args:
        in_channels: channels of the selected backbone outputs, fine → coarse.
        channels: projection width at the coarsest scale.
        num_classes: parts + 1 (background 0), as in the dataset's ``part_ids.json``.
        in_index: which backbone outputs to use (default: all, in order).
        label_smoothing: ε of the soft targets.
        ignore_blank: samples whose (cropped) mask has no part pixel, or that have no mask, weigh 0.
        pseudo_weight: weight of pseudo-labelled samples.
        ignore_index: mask value of unlabelled pixels.
        norm_cfg: norm of the projections (default BN).
        act_cfg: activation of the separable convs (default GELU).
        loss_decode: the per-scale loss (default :class:`SoftFocalLoss`, γ=2, weight λ=1).
        num_points: pixels per image at which ``loss`` evaluates the part loss: None (all, dense), a
            count, a fraction of each scale's pixels (float in (0, 1]), or one of these per scale
            (finest first).
        importance_ratio: share of the points drawn by uncertainty (0: uniform, unbiased).
        oversample_ratio: candidates per point when ``importance_ratio > 0``.
        target_upsample: the mask becomes one-hot targets at this multiple of the finest map's size, which are
            averaged down (bilinear) to every map: 1 (default) is the reference; a head that drops the finer
            scales of the three-scale head can set it so that its targets are the three-scale head's at the
            scales it keeps (stage 4 only: 4, the 28² targets averaged to 7²; see :func:`part_targets`). The PIN++
            reference code's scale ablations use 1 (the mask sampled straight down to their finest map).
        mask_resize: how the mask is sampled down to the targets' size: ``'nearest-exact'`` (default) takes the
            pixel at each target cell's centre (224 → 28: pixel 8i + 4), ``'nearest'`` its top-left pixel (8i), as
            the PIN++ reference code's ``F.interpolate(mode='nearest')``.
        init_cfg, **kwargs: other :class:`mmseg.models.decode_heads.decode_head.BaseDecodeHead` arguments
            (e.g. ``align_corners``).
    """

    def __init__(self, in_channels: Sequence[int], channels: int, num_classes: int,
                 in_index: Optional[Sequence[int]] = None, label_smoothing: float = 0.1, ignore_blank: bool = True,
                 pseudo_weight: float = 1.0, ignore_index: int = IGNORE_INDEX,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 loss_decode: Optional[dict] = None, num_points: Optional[NumPoints] = None,
                 importance_ratio: float = 0.0, oversample_ratio: float = 3.0, target_upsample: int = 1,
                 mask_resize: str = 'nearest-exact', init_cfg: Optional[dict] = None, **kwargs) -> None:
        norm_cfg = dict(type='BN', requires_grad=True) if norm_cfg is None else norm_cfg
        act_cfg = dict(type='GELU') if act_cfg is None else act_cfg
        loss_decode = dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0) if loss_decode is None else loss_decode
        in_index = list(range(len(in_channels))) if in_index is None else list(in_index)
        super().__init__(list(in_channels), channels, num_classes=num_classes, in_index=in_index,
                         input_transform='multiple_select', dropout_ratio=0, norm_cfg=norm_cfg,
                         act_cfg=act_cfg, loss_decode=loss_decode, ignore_index=ignore_index,
                         init_cfg=init_cfg, **kwargs)
        del self.conv_seg  # one prediction layer per scale instead
        self.label_smoothing = label_smoothing
        self.ignore_blank = ignore_blank
        self.pseudo_weight = pseudo_weight
        num_scales = len(in_channels)
        self.num_points = None if num_points is None else check_num_points(num_points, num_scales)
        if not 0 <= importance_ratio <= 1 or oversample_ratio < 1:
            raise ValueError(f'importance_ratio={importance_ratio} must be in [0, 1] and '
                             f'oversample_ratio={oversample_ratio} >= 1')
        self.importance_ratio = importance_ratio
        self.oversample_ratio = oversample_ratio
        if int(target_upsample) != target_upsample or target_upsample < 1:
            raise ValueError(f'target_upsample must be a whole number >= 1, got {target_upsample}')
        self.target_upsample = int(target_upsample)
        if mask_resize not in MASK_RESIZE_MODES:
            raise ValueError(f'mask_resize must be one of {MASK_RESIZE_MODES}, got {mask_resize!r}')
        self.mask_resize = mask_resize
        widths = [channels // 2**(num_scales - 1 - i) for i in range(num_scales)]
        self.projections = nn.ModuleList(
            ConvModule(c, w, 1, norm_cfg=norm_cfg, act_cfg=None) for c, w in zip(in_channels, widths))
        self.up_layers = nn.ModuleList(
            separable_conv(widths[i + 1], widths[i], act_cfg) for i in range(num_scales - 1))
        self.seg_layers = nn.ModuleList(separable_conv(w, self.out_channels, act_cfg) for w in widths)

    def _pixel_features(self, inputs: Tuple[torch.Tensor]) -> List[torch.Tensor]:
        """Per scale (finest first), the input of the prediction layer's final 1×1 projection to C."""
        feats = self._transform_inputs(inputs)
        x = self.projections[-1](feats[-1])
        outs = [self.seg_layers[-1][:-1](x)]
        for i in range(len(feats) - 2, -1, -1):
            x = F.interpolate(self.up_layers[i](x), size=feats[i].shape[2:], mode='bilinear',
                              align_corners=self.align_corners) + self.projections[i](feats[i])
            outs.insert(0, self.seg_layers[i][:-1](x))
        return outs

    def forward(self, inputs: Tuple[torch.Tensor]) -> List[torch.Tensor]:
        """Part logits per scale, finest first."""
        return [layer[-1](x) for layer, x in zip(self.seg_layers, self._pixel_features(inputs))]

    @staticmethod
    def _project_points(x: torch.Tensor, points: torch.Tensor, projection: nn.Conv2d) -> torch.Tensor:
        """N×C×P logits: the 1×1 ``projection`` of the N×c×h×w features ``x`` at the N×P pixels."""
        return project_points(gather_pixels(x, points), projection)

    def _draw_points(self, x: torch.Tensor, spec: Union[int, float], projection: nn.Conv2d) -> torch.Tensor:
        """N×P pixels of the N×c×h×w features ``x`` to evaluate the loss at (see the class docstring)."""
        num_pixels = x.shape[2] * x.shape[3]
        num = points_for(spec, num_pixels)
        num_important = round(self.importance_ratio * num)
        if num_important == 0:
            return random_pixels(x.shape[0], num_pixels, num, x.device)
        candidates = random_pixels(x.shape[0], num_pixels, min(num_pixels, math.ceil(self.oversample_ratio * num)),
                                   x.device)
        with torch.no_grad():
            top2 = self._project_points(x, candidates, projection).topk(2, dim=1).values
        important = (top2[:, 1] - top2[:, 0]).topk(num_important, dim=1).indices  # smallest margins
        chosen = torch.zeros_like(candidates, dtype=torch.bool).scatter_(1, important, True)
        # candidates come in random order: the first unchosen ones are a uniformly random rest
        order = torch.arange(candidates.shape[1], 0, -1, device=x.device) + chosen * candidates.shape[1]
        return candidates.gather(1, order.topk(num, dim=1).indices)

    def loss(self, inputs: Tuple[torch.Tensor], batch_data_samples: list, train_cfg: Optional[dict] = None) -> dict:
        """Part losses of the backbone features ``inputs``: dense, or at drawn pixels (``num_points``)."""
        if self.num_points is None:
            return self.loss_by_feat(self.forward(inputs), batch_data_samples)
        feats = self._pixel_features(inputs)
        points = [self._draw_points(x, spec, layer[-1]) for x, spec, layer in zip(feats, self.num_points,
                                                                                 self.seg_layers)]
        logits = [self._project_points(x, p, layer[-1]) for x, p, layer in zip(feats, points, self.seg_layers)]
        return self._part_losses(logits, [x.shape[2:] for x in feats], batch_data_samples, points)

    def _labels_and_weights(self, batch_data_samples: list, size: Tuple[int, int],
                            device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """N×H×W part ids and N sample weights; samples without ``gt_sem_seg`` count as mask-less."""
        shapes = [s.gt_sem_seg.shape for s in batch_data_samples if 'gt_sem_seg' in s]
        shape = shapes[0] if shapes else size
        labels, has_mask, is_pseudo = [], [], []
        for sample in batch_data_samples:
            if 'gt_sem_seg' in sample:
                labels.append(sample.gt_sem_seg.data.to(device).long().reshape(shape))
            else:
                labels.append(torch.zeros(shape, dtype=torch.long, device=device))
            has_mask.append('gt_sem_seg' in sample and sample.metainfo.get('has_part_mask', True))
            is_pseudo.append(sample.metainfo.get('is_pseudo', False))
        labels = torch.stack(labels)
        weights = part_sample_weights(labels, torch.tensor(has_mask, device=device),
                                      torch.tensor(is_pseudo, device=device), self.ignore_blank,
                                      self.pseudo_weight, self.ignore_index)
        return labels, weights

    def loss_by_feat(self, seg_logits: List[torch.Tensor], batch_data_samples: list) -> dict:
        """λ · mean over scales of the weighted soft focal loss; one log entry per scale (dense)."""
        return self._part_losses(seg_logits, [s.shape[2:] for s in seg_logits], batch_data_samples)

    def _part_losses(self, seg_logits: List[torch.Tensor], sizes: List[Tuple[int, int]], batch_data_samples: list,
                     points: Optional[List[torch.Tensor]] = None) -> dict:
        """The part losses of logits on the maps of ``sizes`` (N×C×h×w) or at ``points`` of them (N×C×P)."""
        labels, weights = self._labels_and_weights(batch_data_samples, sizes[0], seg_logits[0].device)
        label_size = tuple(self.target_upsample * side for side in sizes[0])
        targets = part_targets(labels, sizes, self.num_classes, self.label_smoothing, self.ignore_index, points,
                               label_size, self.mask_resize)
        loss_fns = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode]
        losses = {}
        for i, (logits, target) in enumerate(zip(seg_logits, targets)):
            for loss_fn in loss_fns:
                key = f'{loss_fn.loss_name}_s{i}'
                loss = loss_fn(logits, target, weight=weights, label_smoothing=self.label_smoothing,
                               ignore_index=self.ignore_index)
                losses[key] = losses.get(key, 0) + loss / len(seg_logits)
        with torch.no_grad():  # pixel accuracy at the finest scale, on the samples that have weight
            finest = targets[0]
            if finest.is_floating_point():  # soft targets (target_upsample > 1): their most likely class
                finest = finest.argmax(dim=1).where(finest.sum(dim=1) > 0, self.ignore_index)
            counted = (finest != self.ignore_index) & (weights.view(-1, *[1] * (finest.dim() - 1)) > 0)
            hits = (seg_logits[0].argmax(dim=1) == finest) & counted
            losses['acc_part'] = hits.sum() * 100.0 / counted.sum().clamp(min=1)
        return losses

    def predict_by_feat(self, seg_logits: List[torch.Tensor], batch_img_metas: List[dict]) -> torch.Tensor:
        """The finest part logits, resized to the input image (mmseg convention)."""
        return super().predict_by_feat(seg_logits[0], batch_img_metas)
