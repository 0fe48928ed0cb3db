"""The two-stage part model the part-model papers build: a part segmenter whose part maps are all a classifier sees."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

from .adversarial import AdversarialTrainMixin, class_losses


@MODELS.register_module()
class TwoStagePartClassifier(AdversarialTrainMixin, ImageClassifier):
    """Segmenter → classifier on part maps (as Sitawarin et al. 2022, "Part-Based Models Improve Adversarial
    Robustness"; the PIN++ paper's "two-stage part-based models").

    ``backbone`` and ``part_head`` segment the image into parts (e.g. the MPM bypass, :class:`MPMPartHead`, on a
    ResNet's stages 2-4: its finest map); the per-pixel part probabilities (softmax over the part classes,
    optionally resized to ``map_size``) are the only input of the classifier ``part_classifier`` (an mmpretrain
    backbone with ``in_channels`` = number of part classes) → ``neck`` → ``head``. Unlike MPM, the part maps are
    the bottleneck of the prediction, so the segmenter runs at inference too.

    Trained end to end with a combined loss from one pass: the head's classification loss (``loss_cls``) and the part
    head's segmentation loss on the same part logits (``loss_part_*`` for MPMPartHead: images without a mask weigh
    0), weighted by their loss configs. Every mode that predicts classes (``tensor``, ``predict``, and so the
    training attack and every evaluation attack) runs the whole pipeline, so adversarial training and evaluation
    attack the segmenter through the classifier.

    Args:
        backbone: the segmenter's backbone (multi-scale ``out_indices`` for a multi-scale part head).
        part_head: the segmenter's head (``MODELS``): its ``forward`` gives part logits (a tensor, or one per scale,
            finest first) and its ``loss_by_feat`` their loss.
        part_classifier: the classifier's backbone on the part maps (``in_channels`` = the part head's
            ``num_classes``).
        neck, head: the classifier's neck and head, as in ``ImageClassifier``.
        map_size: size the part maps are resized to (bilinear) before the classifier; None keeps the head's.
        attack, robust_loss, attack_mode: adversarial training (PGD-AT, TRADES, ...), see
            :class:`AdversarialTrainMixin`.
        pretrained, train_cfg, data_preprocessor, init_cfg: as ``ImageClassifier``.
    """

    def __init__(self, backbone: dict, part_head: dict, part_classifier: dict, neck: Optional[dict] = None,
                 head: Optional[dict] = None, map_size: Optional[Sequence[int]] = None, attack: Optional[dict] = None,
                 robust_loss: Optional[dict] = None, pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, attack_mode: str = 'eval') -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, attack=attack, robust_loss=robust_loss,
                         pretrained=pretrained, train_cfg=train_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, attack_mode=attack_mode)
        self.part_head = MODELS.build(part_head)
        self.part_classifier = MODELS.build(part_classifier)
        self.map_size = None if map_size is None else tuple(map_size)

    def segment(self, inputs: torch.Tensor) -> Union[torch.Tensor, List[torch.Tensor]]:
        """The part head's output on a batch: part logits, or one map per scale (finest first)."""
        return self.part_head(self.backbone(inputs))

    @staticmethod
    def finest(part_logits: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """The N×C×h×w part logits the classifier reads: the finest map of a multi-scale head."""
        return part_logits[0] if isinstance(part_logits, (list, tuple)) else part_logits

    def part_maps(self, part_logits: torch.Tensor) -> torch.Tensor:
        """Per-pixel part probabilities, at ``map_size`` if set: the classifier's input."""
        maps = part_logits.softmax(dim=1)
        if self.map_size is not None and tuple(maps.shape[2:]) != self.map_size:
            maps = F.interpolate(maps, size=self.map_size, mode='bilinear', align_corners=False)
        return maps

    def _classifier_feat(self, part_logits: torch.Tensor, stage: str = 'neck'):
        x = self.part_classifier(self.part_maps(part_logits))
        if stage == 'backbone':
            return x
        if self.with_neck:
            x = self.neck(x)
        return x if stage == 'neck' else self.head.pre_logits(x)

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Classifier features through both stages: ``'backbone'`` (the part classifier's outputs), ``'neck'``,
        ``'pre_logits'``."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(f'Invalid output stage "{stage}": choose from "backbone", "neck", "pre_logits"')
        return self._classifier_feat(self.finest(self.segment(inputs)), stage)

    def logits_and_auxiliary_losses(self, inputs: torch.Tensor,
                                    data_samples: List[DataSample]) -> Tuple[torch.Tensor, dict]:
        """Class logits and the part loss of a batch, from one pass through both stages."""
        part_logits = self.segment(inputs)
        logits = self.head(self._classifier_feat(self.finest(part_logits)))
        return logits, self.part_head.loss_by_feat(part_logits, data_samples)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """The combined loss: classification of the part maps (``loss_cls``) plus the part loss, from one pass."""
        part_logits = self.segment(inputs)
        losses = class_losses(self.head.loss(self._classifier_feat(self.finest(part_logits)), data_samples))
        losses.update(self.part_head.loss_by_feat(part_logits, data_samples))
        return losses

    def predict_parts(self, inputs: torch.Tensor, batch_img_metas: List[dict]) -> torch.Tensor:
        """Part logits at image size (finest scale), as :meth:`MPMClassifier.predict_parts`."""
        return self.part_head.predict(self.backbone(inputs), batch_img_metas, None)
