"""ConstellationNet (Xu et al., ICLR 2021): a Y-branched constellation ResNet trained by classification on one
branch and by prototypical episodes on the other, evaluated by a cosine ensemble of both."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.classifiers.base import BaseClassifier
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

from ..heads.few_shot_head import class_means
from .mode_forward import ModeForwardMixin

__all__ = ['ConstellationNetClassifier']


@MODELS.register_module()
class ConstellationNetClassifier(ModeForwardMixin, BaseClassifier):
    """The official recipe (mlpc-ucsd/ConstellationNet, ``train_classifier_sideout_classifier_ybranch.py``).

    A training batch is ``num_images`` images of the training classes followed by ``num_tasks``
    N-way K-shot episodes (:class:`ClassificationEpisodeSampler`). The images go through the stem and
    branch 1 of a Y-branched :class:`ConstellationResNet12`: cross-entropy of a linear classifier on the
    pooled last map (``loss_cls``) plus, per constellation map listed in ``aux_indices``, the
    cross-entropy of a linear classifier on the pooled map (``loss_aux``; the official "sideout"
    classifiers on branch 1's three attention modules). The episodes go through the stem and branch 2:
    prototypical loss with squared Euclidean distances to the class means of the pooled features,
    scaled by a learnable temperature (init ``meta_temperature``) times ``meta_distance_scale`` (the
    official ``temp / 1600``) (``loss_meta``). The losses are summed.

    Evaluation (:class:`MetaTestLoop`) uses ``head``, by default the official test ensemble: weighted
    cosine-to-centroid logits of both branches' pooled and flattened last maps (weights 4, 3, 2, 1;
    :class:`MultiFeatureCosineHead`); ``extract_feat`` returns both branches' last maps.

    Args:
        backbone: a Y-branched :class:`ConstellationResNet12`.
        num_classes: training classes (branch 1's classifier).
        in_channels: channels of the branches' last maps.
        num_images: classification images at the front of every training batch.
        num_ways, num_shots, num_queries, num_tasks: the training episodes that follow them.
        head: the few-shot evaluation head (default: the official 4-feature cosine ensemble).
        aux_indices: which constellation maps (stem then branch 1, forward order) get an auxiliary
            classifier (default: the 3 attention modules of block 2 after block 0's clustering-only one).
        aux_channels: channels of those maps (the number of clusters).
        meta_temperature: initial learnable temperature of the prototypical logits.
        meta_distance_scale: constant factor on the squared distances (official: 1/1600).
        data_preprocessor: as :class:`mmpretrain.models.ImageClassifier`.
        init_cfg: weight initialisation.
    """

    def __init__(self, backbone: dict, num_classes: int, in_channels: int, num_images: int, num_ways: int = 5,
                 num_shots: int = 3, num_queries: int = 6, num_tasks: int = 8, head: Optional[dict] = None,
                 aux_indices: Sequence[int] = (1, 2, 3), aux_channels: int = 64, meta_temperature: float = 1.0,
                 meta_distance_scale: float = 1 / 1600, data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self.backbone = MODELS.build(backbone)
        if getattr(self.backbone, 'branch2', None) is None:
            raise ValueError('ConstellationNetClassifier: the backbone must be Y-branched (branch_stage set)')
        head = dict(head or dict(type='MultiFeatureCosineHead', in_channels=(in_channels, in_channels)))
        head.update(num_ways=num_ways, num_shots=num_shots, num_queries=num_queries)  # the training episodes
        self.head = MODELS.build(head)
        self.classifier = nn.Linear(in_channels, num_classes)
        self.aux_indices = tuple(aux_indices)
        self.aux_classifiers = nn.ModuleList(nn.Linear(aux_channels, num_classes) for _ in self.aux_indices)
        self.meta_temperature = nn.Parameter(torch.tensor(float(meta_temperature)))
        self.meta_distance_scale = meta_distance_scale
        self.num_images, self.num_tasks = num_images, num_tasks
        self.num_ways, self.num_shots, self.num_queries = num_ways, num_shots, num_queries

    def extract_feat(self, inputs: torch.Tensor):
        """Both branches' last maps."""
        return self.backbone(inputs)

    def meta_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Minus the scaled squared Euclidean distances of the queries to the class means."""
        prototypes = class_means(support, support_labels, self.num_ways)
        distances = (query[:, None] - prototypes[None]).pow(2).sum(-1)
        return -distances * self.meta_temperature * self.meta_distance_scale

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        episode_size = self.num_ways * (self.num_shots + self.num_queries)
        expected = self.num_images + self.num_tasks * episode_size
        if len(inputs) != expected:
            raise ValueError(f'ConstellationNetClassifier: the batch has {len(inputs)} images, {self.num_images} '
                             f'classification images and {self.num_tasks} {self.num_ways}-way {self.num_shots}-shot '
                             f'{self.num_queries}-query episodes have {expected}: use ClassificationEpisodeSampler '
                             f'with batch_size={expected}')
        labels = torch.cat([s.gt_label for s in data_samples[:self.num_images]]).to(inputs.device)
        (out1, ), cluster_maps = self.backbone.forward_with_cluster_features(inputs[:self.num_images], branch=1)
        logits = self.classifier(out1.mean((2, 3)))
        losses = dict(loss_cls=F.cross_entropy(logits, labels))
        if self.aux_indices:
            losses['loss_aux'] = sum(F.cross_entropy(fc(cluster_maps[i].mean((2, 3))), labels)
                                     for i, fc in zip(self.aux_indices, self.aux_classifiers))
        with torch.no_grad():
            losses['accuracy'] = (logits.argmax(1) == labels).float().mean() * 100
        (out2, ), _ = self.backbone.forward_with_cluster_features(inputs[self.num_images:], branch=2)
        feats, samples = out2.mean((2, 3)), data_samples[self.num_images:]
        meta_losses, hits = [], []
        for task in range(self.num_tasks):
            chunk = slice(task * episode_size, (task + 1) * episode_size)
            support, support_labels, query, query_labels = self.head.split_episode(feats[chunk], samples[chunk])
            meta = self.meta_logits(support, support_labels, query)
            meta_losses.append(F.cross_entropy(meta, query_labels))
            hits.append((meta.argmax(1) == query_labels).float().mean().detach())
        losses['loss_meta'] = torch.stack(meta_losses).mean()
        losses['meta_accuracy'] = torch.stack(hits).mean() * 100
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)
