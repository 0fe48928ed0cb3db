"""Batches of classification images followed by few-shot episodes (ConstellationNet's joint training)."""
import math
from typing import Iterator, Optional, Sequence

import numpy as np

from mmpart.registry import DATA_SAMPLERS

from .episodic_sampler import EpisodicSampler

__all__ = ['ClassificationEpisodeSampler']


@DATA_SAMPLERS.register_module()
class ClassificationEpisodeSampler(EpisodicSampler):
    """Each batch: ``num_images`` images for classification, then ``num_tasks`` N-way K-shot episodes.

    ConstellationNet trains its two branches in the same step, one on a shuffled classification batch and
    one on episodes; this sampler lays both out in one batch (``batch_size = num_images + num_tasks *
    N * (K + Q)``). The classification images walk through a permutation of the dataset drawn once per
    epoch (wrapping around), so every image is seen as in a shuffled loader; the episodes are those of
    :class:`EpisodicSampler` (``num_tasks`` consecutive ones per iteration). Iteration ``i`` of an epoch is
    the same for any number of processes (rank r runs iterations r, r + W, ...).

    Args:
        dataset: a dataset with ``get_gt_labels()``, unless ``labels`` is given.
        num_images: classification images per batch.
        num_tasks: episodes per batch.
        num_iterations: batches per epoch (over all processes).
        num_ways, num_shots, num_queries: the episode shape.
        seed: base seed (None: drawn and shared across processes).
        labels: the label of every dataset index, instead of asking the dataset.
    """

    def __init__(self, dataset=None, num_images: int = 128, num_tasks: int = 1, num_iterations: int = 100,
                 num_ways: int = 5, num_shots: int = 1, num_queries: int = 15, seed: Optional[int] = None,
                 labels: Optional[Sequence[int]] = None) -> None:
        if min(num_images, num_tasks, num_iterations) < 1:
            raise ValueError(f'ClassificationEpisodeSampler: need num_images, num_tasks, num_iterations >= 1, got '
                             f'{num_images}, {num_tasks}, {num_iterations}')
        if labels is None and dataset is not None:
            labels = dataset.get_gt_labels()
        super().__init__(None, num_ways, num_shots, num_queries, num_iterations * num_tasks, seed, labels)
        self.num_images, self.num_tasks, self.num_iterations = num_images, num_tasks, num_iterations
        self.dataset_size = len(labels)

    @property
    def batch_size(self) -> int:
        """Images in one batch."""
        return self.num_images + self.num_tasks * self.episode_size

    def _permutation(self) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch], spawn_key=(1, )))
        return rng.permutation(self.dataset_size)

    def _rank_iterations(self) -> range:
        per_rank = math.ceil(self.num_iterations / self.world_size)
        return range(self.rank, per_rank * self.world_size, self.world_size)

    def __iter__(self) -> Iterator[int]:
        order = self._permutation()
        for iteration in self._rank_iterations():
            start = iteration * self.num_images
            yield from (int(order[(start + j) % self.dataset_size]) for j in range(self.num_images))
            for task in range(self.num_tasks):
                yield from self.episode_indices(iteration * self.num_tasks + task, self.epoch)

    def __len__(self) -> int:
        return len(self._rank_iterations()) * self.batch_size
