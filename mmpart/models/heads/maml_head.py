"""MAML (Finn et al. 2017) as a few-shot head: the network it adapts to each episode, and the inner loop."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch.func import functional_call
from torch.nn.modules.batchnorm import _NormBase

from mmpart.registry import MODELS

from ..utils.inner_loop import fast_adapt
from .few_shot_head import BaseFewShotHead

__all__ = ['MAMLHead']

INNER_LOSS_REDUCTIONS = ('per_shot', 'mean')


class _Learner(nn.Module):
    """Backbone, flatten its last output, linear N-way classifier: the network MAML adapts."""

    def __init__(self, backbone: dict, in_channels: int, num_ways: int) -> None:
        super().__init__()
        self.backbone = MODELS.build(backbone)
        self.fc = nn.Linear(in_channels, num_ways)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.backbone(images)[-1].flatten(1))


@MODELS.register_module()
class MAMLHead(BaseFewShotHead):
    """Model-Agnostic Meta-Learning: SGD on each episode's support images from a meta-learned initialisation.

    MAML adapts its whole network to every episode, so it cannot classify from cached features: the head
    owns the network (``backbone`` + a linear ``num_ways``-way classifier on its flattened last output)
    and its "features" are the preprocessed images (:class:`ImageEpisodeClassifier` hands them over;
    :class:`MetaTestLoop` caches them flattened). Training (``loss``) takes a batch of ``num_tasks``
    episodes laid out as :class:`EpisodicSampler` yields them (``batch_size = num_tasks * N * (K + Q)``);
    each is adapted with ``num_inner_steps`` SGD steps of ``inner_lr`` on its support set and scored on its
    queries; the loss is the mean query cross-entropy over the tasks, back-propagated through the inner
    loop (second order) or not (``first_order``; FOMAML). Evaluation adapts with ``num_test_inner_steps``.

    The inner loop calls the network with ``torch.func.functional_call`` on the adapted tensors
    (:func:`mmpart.models.utils.fast_adapt`). Batch norm is transductive, as in cbfinn/maml (TF's
    ``batch_norm`` in training mode throughout): build the backbone with
    ``norm_cfg=dict(type='BN', track_running_stats=False)`` so that every forward, support or query,
    training or test, normalises with the statistics of its own batch.

    The recipe of cbfinn/maml (5-way, miniImageNet): Conv-4 with 32 filters, 5 inner steps in training
    and 10 at test, inner lr 0.01, 4 tasks per meta-batch, Adam 1e-3, gradients clipped to ±10. Two of
    its details are options: the inner loss is the support cross-entropy summed and divided by the
    shots (``inner_loss_reduction='per_shot'``, cbfinn's ``xent / update_batch_size``, i.e.
    ``num_ways`` × the mean; mmfewshot uses the mean, ``'mean'``), and only the convolution and linear
    weights are adapted (``adapt_norm=False``: TF's batch-norm offsets are outside cbfinn's fast-weight
    dict; mmfewshot adapts every parameter, ``adapt_norm=True``).

    Args:
        backbone: the backbone config (e.g. ``Conv4`` with 32 channels and transductive BN).
        in_channels: size of the flattened last backbone output (Conv-4/32 at 84 px: 32·5·5 = 800).
        num_ways, num_shots, num_queries: the training episode shape.
        num_tasks: episodes per training batch (the meta-batch).
        num_inner_steps: inner SGD steps in training.
        num_test_inner_steps: inner SGD steps at evaluation.
        inner_lr: inner SGD step size.
        first_order: drop the second-order terms (FOMAML).
        adapt_norm: adapt the norm layers' affine parameters too.
        inner_loss_reduction: ``'per_shot'`` or ``'mean'`` (see above).
        image_channels: channels of the input images (evaluation restores square images from the cache).
        loss: the query (outer) loss; default cross-entropy.
        init_cfg: weight initialisation.
    """

    def __init__(self, backbone: dict, in_channels: int, num_ways: int = 5, num_shots: Optional[int] = None,
                 num_queries: Optional[int] = None, num_tasks: int = 1, num_inner_steps: int = 5,
                 num_test_inner_steps: int = 10, inner_lr: float = 0.01, first_order: bool = False,
                 adapt_norm: bool = False, inner_loss_reduction: str = 'per_shot', image_channels: int = 3,
                 loss: Optional[dict] = None, init_cfg=None) -> None:
        super().__init__(num_ways, num_shots, num_queries, loss, init_cfg)
        if inner_loss_reduction not in INNER_LOSS_REDUCTIONS:
            raise ValueError(f'MAMLHead: inner_loss_reduction must be one of {INNER_LOSS_REDUCTIONS}, got '
                             f'{inner_loss_reduction!r}')
        if num_tasks < 1 or min(num_inner_steps, num_test_inner_steps) < 0:
            raise ValueError(f'MAMLHead: need num_tasks >= 1 and inner steps >= 0, got {num_tasks}, '
                             f'{num_inner_steps}, {num_test_inner_steps}')
        self.learner = _Learner(backbone, in_channels, num_ways)
        self.num_tasks, self.inner_lr, self.first_order = num_tasks, inner_lr, first_order
        self.num_inner_steps, self.num_test_inner_steps = num_inner_steps, num_test_inner_steps
        self.adapt_norm, self.inner_loss_reduction = adapt_norm, inner_loss_reduction
        self.image_channels = image_channels

    def adapted_names(self) -> List[str]:
        """Names (in ``self.learner``) of the parameters the inner loop adapts."""
        norm_params = set()
        if not self.adapt_norm:
            for name, module in self.learner.named_modules():
                if isinstance(module, (_NormBase, nn.GroupNorm, nn.LayerNorm)):
                    norm_params.update(f'{name}.{p}' for p, _ in module.named_parameters(recurse=False))
        return [n for n, p in self.learner.named_parameters() if p.requires_grad and n not in norm_params]

    def inner_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Support cross-entropy: summed and divided by the shots (``'per_shot'``), or the mean."""
        if self.inner_loss_reduction == 'mean':
            return F.cross_entropy(logits, labels)
        return F.cross_entropy(logits, labels, reduction='sum') / (len(labels) / self.num_ways)

    def adapt(self, support: torch.Tensor, labels: torch.Tensor, num_steps: int,
              create_graph: bool) -> Dict[str, torch.Tensor]:
        """The learner's adapted tensors after ``num_steps`` on the support images (way ids ``labels``)."""
        named = dict(self.learner.named_parameters())
        params = {n: named[n] for n in self.adapted_names()}
        return fast_adapt(self.learner, params, support, labels, self.inner_loss, num_steps, self.inner_lr,
                          create_graph)

    def pre_logits(self, feats) -> torch.Tensor:
        """The images, flattened (what :class:`MetaTestLoop` caches)."""
        return (feats[-1] if isinstance(feats, (tuple, list)) else feats).flatten(1)

    def _images(self, flat: torch.Tensor) -> torch.Tensor:
        """Square ``image_channels``-channel images back from their flattened values."""
        side = round((flat.shape[1] / self.image_channels)**0.5)
        if self.image_channels * side * side != flat.shape[1]:
            raise ValueError(f'MAMLHead: {flat.shape[1]} values per image are not {self.image_channels} square '
                             'channels; few-shot images are square (e.g. 84x84)')
        return flat.view(len(flat), self.image_channels, side, side)

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        """Query logits after ``num_test_inner_steps`` on the support images (first order: nothing flows back)."""
        if num_ways != self.num_ways:
            raise ValueError(f'MAMLHead: the classifier has {self.num_ways} outputs, the episode {num_ways} ways')
        with torch.enable_grad():
            params = self.adapt(self._images(support), support_labels, self.num_test_inner_steps, False)
            params = {n: p.detach() for n, p in params.items()}
        with torch.no_grad():
            return functional_call(self.learner, params, (self._images(query), ))

    def loss(self, feats, data_samples: List[DataSample]) -> dict:
        """Mean query cross-entropy (``loss``) and accuracy in % (``accuracy``) over the batch's episodes."""
        images = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if None in (self.num_shots, self.num_queries):
            raise ValueError('MAMLHead: set num_shots and num_queries (the training episode shape) to train')
        size = self.num_ways * (self.num_shots + self.num_queries)
        if len(images) != self.num_tasks * size:
            raise ValueError(f'MAMLHead: the batch has {len(images)} images, {self.num_tasks} tasks of '
                             f'{self.num_ways}-way {self.num_shots}-shot {self.num_queries}-query episodes have '
                             f'{self.num_tasks * size}: use EpisodicSampler with batch_size={self.num_tasks * size}')
        losses, hits = [], []
        for task in range(self.num_tasks):
            chunk = slice(task * size, (task + 1) * size)
            support, support_labels, query, query_labels = self.split_episode(images[chunk], data_samples[chunk])
            params = self.adapt(support, support_labels, self.num_inner_steps, not self.first_order)
            logits = functional_call(self.learner, params, (query, ))
            losses.append(self.loss_module(logits, query_labels))
            hits.append((logits.argmax(1) == query_labels).float().mean().detach())
        return dict(loss=torch.stack(losses).mean(), accuracy=torch.stack(hits).mean() * 100)
