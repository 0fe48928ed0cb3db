"""MPM: a classifier trained with multi-scale part supervision that deploys as a plain classifier."""
from typing import List, Optional, Tuple, Union

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

from .adversarial import AdversarialTrainMixin, class_losses


@MODELS.register_module()
class MPMClassifier(AdversarialTrainMixin, ImageClassifier):
    """Multi-scale Part-supervised Model (DESIGN §3).

    The backbone gives several scales (``out_indices``); the last one goes through ``neck`` and
    ``head`` as in ``ImageClassifier``, and in ``loss`` mode all of them also feed ``part_head``
    (the bypass, e.g. :class:`MPMPartHead`). ``predict`` and ``tensor`` modes (and the attack of
    adversarial training) use the classification path only: no bypass layer runs, and the backbone
    runs with ``out_indices`` cut to its last stage for that pass, so outputs that exist only for the
    bypass are not computed either (e.g. the per-stage norms ``norm1``, ``norm2`` that mmpretrain's
    ConvNeXt and Swin add for ``out_indices=(1, 2, 3)``). ``tools/model_converters/mpm_to_cls.py``
    turns a checkpoint into a plain classifier with the last stage only.

    Losses: ``loss_cls`` (the head's loss) and the part head's per-scale terms.

    Args:
        backbone: multi-scale backbone (e.g. ``ResNetAct`` with ``out_indices=(1, 2, 3)``).
        part_head: the bypass; its ``in_channels`` / ``in_index`` select the backbone outputs.
        neck, head, pretrained, train_cfg, data_preprocessor, init_cfg: as ``ImageClassifier``.
        attack, robust_loss, attack_mode: adversarial training (PGD-AT, TRADES, ...), see
            :class:`AdversarialTrainMixin`.
    """

    #: state-dict prefixes of the bypass, dropped when deploying as a plain classifier
    bypass_prefixes = ('part_head.', )

    def __init__(self, backbone: dict, part_head: dict, neck: Optional[dict] = None, head: Optional[dict] = None,
                 attack: Optional[dict] = None, pretrained: Optional[str] = None, train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None,
                 robust_loss: Optional[dict] = None, attack_mode: str = 'eval') -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, attack=attack, pretrained=pretrained,
                         train_cfg=train_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg,
                         robust_loss=robust_loss, attack_mode=attack_mode)
        self.part_head = MODELS.build(part_head)

    def _cls_feat(self, feats: Tuple[torch.Tensor], stage: str) -> Union[Tuple[torch.Tensor], torch.Tensor]:
        """Classification features from the last backbone output only."""
        x = feats[-1:]
        if self.with_neck:
            x = self.neck(x)
        return x if stage == 'neck' else self.head.pre_logits(x)

    def _last_stage_outputs(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
        """The backbone's outputs for classification (:meth:`_cls_feat` reads the last), computed with
        ``out_indices`` cut to the last stage for this pass.

        mmpretrain backbones read ``out_indices`` in ``forward`` to decide which stages give outputs
        (and, for ConvNeXt / Swin, which output norms run); a backbone without a sequence
        ``out_indices`` runs as configured.
        """
        indices = getattr(self.backbone, 'out_indices', None)
        if not isinstance(indices, (list, tuple)) or len(indices) < 2:
            return self.backbone(inputs)
        self.backbone.out_indices = type(indices)([max(indices)])
        try:
            return self.backbone(inputs)
        finally:
            self.backbone.out_indices = indices

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Backbone outputs (``stage='backbone'``, all scales) or classification features (last stage only)."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(f'Invalid output stage "{stage}": choose from "backbone", "neck", "pre_logits"')
        if stage == 'backbone':
            return self.backbone(inputs)
        return self._cls_feat(self._last_stage_outputs(inputs), stage)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Classification loss (``loss_cls``) plus the part head's losses, from one backbone pass."""
        feats = self.backbone(inputs)
        losses = class_losses(self.head.loss(self._cls_feat(feats, 'neck'), data_samples))
        losses.update(self.part_head.loss(feats, data_samples, None))
        return losses

    def logits_and_auxiliary_losses(self, inputs: torch.Tensor,
                                    data_samples: List[DataSample]) -> Tuple[torch.Tensor, dict]:
        """Classification logits and the part head's losses, from one backbone pass (TRADES' adversarial batch)."""
        feats = self.backbone(inputs)
        return self.head(self._cls_feat(feats, 'neck')), self.part_head.loss(feats, data_samples, None)

    def predict_parts(self, inputs: torch.Tensor, batch_img_metas: List[dict]) -> torch.Tensor:
        """Part logits at image size (finest scale) for visualisation; runs the bypass explicitly."""
        return self.part_head.predict(self.backbone(inputs), batch_img_metas, None)
