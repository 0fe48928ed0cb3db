"""A deterministic class-balanced subset of a classification dataset, e.g. for validation during training."""
from collections import Counter
from typing import List, Union

from mmengine.dataset import BaseDataset

from mmpart.registry import DATASETS

__all__ = ['PerClassSubset']


@DATASETS.register_module()
class PerClassSubset:
    """The first ``per_class`` samples of every class of ``dataset``, in the dataset's own order.

    Validating under PGD-10 on all 50,000 IN-1K val images after every epoch costs as much as many training
    iterations; 10 images per class (10,000, the subset the PIN++ reference code validates on) track robust
    accuracy well enough to pick checkpoints. The subset depends on nothing but the dataset's order (ImageNet's
    val list is sorted by file name, whose numbering is random with respect to the classes), so every run and every
    process sees the same images; the final test stays on the full set (``test_dataloader``). Samples keep their
    index in the full dataset (``sample_idx``).

    Args:
        dataset: the dataset (config or object) with ``gt_label`` in its data infos (mmpretrain datasets).
        per_class: samples kept per class; a class with fewer keeps all of its own.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], per_class: int = 10) -> None:
        if per_class < 1:
            raise ValueError(f'per_class must be >= 1, got {per_class}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.per_class = per_class
        labels = [int(label) for label in self.dataset.get_gt_labels()]
        taken: Counter = Counter()
        self.indices: List[int] = []
        for index, label in enumerate(labels):
            if taken[label] < per_class:
                taken[label] += 1
                self.indices.append(index)

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self.indices[idx])

    def get_gt_labels(self):
        return self.dataset.get_gt_labels()[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> dict:
        return self.dataset[self.indices[idx]]
