"""Base of the few-shot heads: classify an episode's queries by comparing them with its support set."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS

__all__ = ['BaseFewShotHead', 'class_means']

Feats = Union[torch.Tensor, Sequence[torch.Tensor]]


def class_means(support: torch.Tensor, labels: torch.Tensor, num_ways: int) -> torch.Tensor:
    """Mean support feature of each way (num_ways × D); ``labels`` are way ids 0..num_ways-1."""
    one_hot = torch.nn.functional.one_hot(labels, num_ways).to(support.dtype)  # S × N
    return one_hot.t() @ support / one_hot.sum(0)[:, None]


class BaseFewShotHead(BaseModule):
    """A classification head whose classes are those of the episode at hand.

    Subclasses define :meth:`episode_logits`. Training (``loss``) takes a batch that is one episode laid
    out as :class:`EpisodicSampler` yields it — ``num_ways * num_shots`` support images, then
    ``num_ways * num_queries`` queries, both way-major — and is the cross-entropy of the queries' logits.
    Evaluation runs in :class:`MetaTestLoop`, which calls :meth:`pre_logits` and :meth:`episode_logits` on
    cached features; ``predict`` on an ordinary batch has no meaning and raises.

    Args:
        num_ways, num_shots, num_queries: the shape of the training episodes (as the train sampler's).
        loss: the query classification loss.
        init_cfg: weight initialisation.
    """

    def __init__(self, num_ways: Optional[int] = None, num_shots: Optional[int] = None,
                 num_queries: Optional[int] = None, loss: Optional[dict] = None, init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.num_ways, self.num_shots, self.num_queries = num_ways, num_shots, num_queries
        self.loss_module = MODELS.build(dict(type='CrossEntropyLoss', loss_weight=1.0) if loss is None else loss)

    def pre_logits(self, feats: Feats) -> torch.Tensor:
        """The last feature of the backbone/neck tuple, flattened to N × D."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return feats.flatten(1)

    def forward(self, feats: Feats) -> torch.Tensor:
        """Features as the head compares them (``mode='tensor'``)."""
        return self.pre_logits(feats)

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        """Q × num_ways logits of the queries, given S × D support features with way ids ``support_labels``."""
        raise NotImplementedError

    def split_episode(self, feats: torch.Tensor,
                      data_samples: List[DataSample]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Support features, their way ids, query features, their way ids, from a batch that is one episode.

        Raises if the batch is not an episode of the configured shape (wrong size, or labels that are not
        one class per way), which is what a dataloader without :class:`EpisodicSampler` gives.
        """
        name = type(self).__name__
        if None in (self.num_ways, self.num_shots, self.num_queries):
            raise ValueError(f'{name}: set num_ways, num_shots and num_queries (the training episode shape) to train')
        ways, shots, queries = self.num_ways, self.num_shots, self.num_queries
        expected = ways * (shots + queries)
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(feats.device)
        if len(labels) != expected:
            raise ValueError(f'{name}: the batch has {len(labels)} images, a {ways}-way {shots}-shot {queries}-query '
                             f'episode has {expected}: use EpisodicSampler with this shape and batch_size={expected}')
        support_labels = labels[:ways * shots].view(ways, shots)
        query_labels = labels[ways * shots:].view(ways, queries)
        classes = support_labels[:, 0]
        if ((support_labels != classes[:, None]).any() or (query_labels != classes[:, None]).any()
                or len(torch.unique(classes)) != ways):
            raise ValueError(f'{name}: the batch is not an episode (support first, then queries, way-major, one class '
                             f'per way); use EpisodicSampler as the train sampler. Labels: {labels.tolist()}')
        way_ids = torch.arange(ways, device=feats.device)
        return (feats[:ways * shots], way_ids.repeat_interleave(shots), feats[ways * shots:],
                way_ids.repeat_interleave(queries))

    def loss(self, feats: Feats, data_samples: List[DataSample]) -> dict:
        """Cross-entropy of the episode's queries (``loss``) and their accuracy in % (``accuracy``)."""
        support, support_labels, query, query_labels = self.split_episode(self.pre_logits(feats), data_samples)
        logits = self.episode_logits(support, support_labels, query, self.num_ways)
        with torch.no_grad():
            accuracy = (logits.argmax(dim=1) == query_labels).float().mean() * 100
        return dict(loss=self.loss_module(logits, query_labels), accuracy=accuracy)

    def predict(self, feats: Feats, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        raise NotImplementedError(f'{type(self).__name__} classifies episodes, not batches: evaluate with '
                                  "test_cfg=dict(type='MetaTestLoop', ...)")
