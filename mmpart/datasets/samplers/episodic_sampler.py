"""N-way K-shot episodes for few-shot training and evaluation, identical across runs and process counts."""
import math
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from mmpart.registry import DATA_SAMPLERS

__all__ = ['EpisodicSampler']


@DATA_SAMPLERS.register_module()
class EpisodicSampler(Sampler):
    """Yields episodes: ``num_ways`` classes, ``num_shots`` support and ``num_queries`` query images each.

    Episode ``(epoch, i)`` is drawn by its own generator seeded with ``(seed, epoch, i)``: it does not
    depend on the number of processes, on the episodes drawn before it, or on the run. An episode is
    ``num_ways * (num_shots + num_queries)`` dataset indices, the support set first and then the queries,
    each way-major (way 0's shots, way 1's shots, ...; way 0's queries, ...), so the batch of a
    dataloader with ``batch_size = num_ways * (num_shots + num_queries)`` is one episode, as the few-shot
    heads (:class:`ProtoNetHead`, ...) expect. Classes with fewer than ``num_shots + num_queries``
    images are left out (with a warning).

    Each of W processes iterates ⌈num_episodes / W⌉ episodes per epoch (rank r: episodes r, r + W, ...),
    so every process runs the same number of steps. :class:`MetaTestLoop` uses :meth:`episode` directly.

    Args:
        dataset: a dataset with ``get_gt_labels()`` (mmpretrain datasets), unless ``labels`` is given.
        num_ways: classes per episode (N).
        num_shots: support images per class (K).
        num_queries: query images per class (Q).
        num_episodes: episodes per epoch (over all processes).
        seed: base seed; None draws one and shares it across processes (as mmengine's samplers).
        labels: the label of every dataset index, instead of asking the dataset.
    """

    def __init__(self, dataset=None, num_ways: int = 5, num_shots: int = 1, num_queries: int = 15,
                 num_episodes: int = 100, seed: Optional[int] = None,
                 labels: Optional[Sequence[int]] = None) -> None:
        if min(num_ways, num_shots, num_episodes) < 1 or num_queries < 0:
            raise ValueError(f'EpisodicSampler: need num_ways, num_shots, num_episodes >= 1 and num_queries >= 0, got '
                             f'{num_ways}, {num_shots}, {num_episodes}, {num_queries}')
        if labels is None:
            if dataset is None:
                raise ValueError('EpisodicSampler needs a dataset or labels')
            labels = dataset.get_gt_labels()
        self.num_ways, self.num_shots, self.num_queries = num_ways, num_shots, num_queries
        self.num_episodes = num_episodes
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()
        self.epoch = 0
        self.class_indices = self._group_by_class(np.asarray(labels, dtype=np.int64))
        self.classes = np.array(sorted(self.class_indices), dtype=np.int64)

    @property
    def episode_size(self) -> int:
        """Images in one episode."""
        return self.num_ways * (self.num_shots + self.num_queries)

    def _group_by_class(self, labels: np.ndarray) -> Dict[int, np.ndarray]:
        needed = self.num_shots + self.num_queries
        groups = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
        small = sorted(c for c, idx in groups.items() if len(idx) < needed)
        if small:
            print_log(f'EpisodicSampler: {len(small)} classes (e.g. label {small[0]}) have fewer than {needed} images '
                      f'({self.num_shots} shots + {self.num_queries} queries) and are left out', logger='current')
        groups = {c: idx for c, idx in groups.items() if len(idx) >= needed}
        if len(groups) < self.num_ways:
            raise ValueError(f'EpisodicSampler: {self.num_ways}-way episodes need {self.num_ways} classes with at '
                             f'least {needed} images; the dataset has {len(groups)}')
        return groups

    def episode(self, index: int, epoch: int = 0) -> Tuple[np.ndarray, np.ndarray]:
        """Dataset indices of episode ``index`` of ``epoch``: support (N×K) and queries (N×Q), row w = way w.

        The classes of way 0..N-1 are ``self.classes[...]`` in the drawn order; the support and query
        images of a way are distinct images of its class.
        """
        rng = np.random.default_rng([self.seed, epoch, index])
        ways = rng.choice(len(self.classes), self.num_ways, replace=False)
        support, query = [], []
        for way in ways:
            indices = self.class_indices[int(self.classes[way])]
            picked = indices[rng.choice(len(indices), self.num_shots + self.num_queries, replace=False)]
            support.append(picked[:self.num_shots])
            query.append(picked[self.num_shots:])
        return np.stack(support), np.stack(query).reshape(self.num_ways, self.num_queries)

    def episode_indices(self, index: int, epoch: int = 0) -> List[int]:
        """Episode ``index`` as one flat index list: support then queries, way-major."""
        support, query = self.episode(index, epoch)
        return [int(i) for i in np.concatenate([support.ravel(), query.ravel()])]

    def _rank_episodes(self) -> range:
        per_rank = math.ceil(self.num_episodes / self.world_size)
        return range(self.rank, per_rank * self.world_size, self.world_size)

    def __iter__(self) -> Iterator[int]:
        for index in self._rank_episodes():
            yield from self.episode_indices(index, self.epoch)

    def __len__(self) -> int:
        return len(self._rank_episodes()) * self.episode_size

    def set_epoch(self, epoch: int) -> None:
        """New episodes every epoch (called by mmengine's ``DistSamplerSeedHook``)."""
        self.epoch = epoch
