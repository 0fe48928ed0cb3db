"""Few-shot evaluation loops: one pass over the split for the features, then every episode from the cache."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.dist import all_gather_object, get_dist_info, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from mmpart.datasets.samplers import EpisodicSampler
from mmpart.evaluation.tables import markdown_table
from mmpart.models.heads import BaseFewShotHead
from mmpart.registry import LOOPS, MODELS
from mmpart.utils import atomic_write_json

__all__ = ['MetaTestLoop', 'MetaValLoop', 'extract_features', 'episode_accuracy']


@torch.no_grad()
def extract_features(model: nn.Module, data_batch: dict, head: BaseFewShotHead) -> Tuple[List[int], torch.Tensor,
                                                                                      torch.Tensor]:
    """Dataset indices, features (``head.pre_logits`` of ``model.extract_feat``) and labels of a batch."""
    data = model.data_preprocessor(data_batch, False)
    feats = head.pre_logits(model.extract_feat(data['inputs'])).float().cpu()
    samples = data['data_samples']
    return [int(s.sample_idx) for s in samples], feats, torch.cat([s.gt_label for s in samples]).cpu()


def gather_features(parts: Sequence[Tuple[List[int], torch.Tensor, torch.Tensor]],
                    size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """All processes' batches as one (features, labels) pair in dataset order, on every process."""
    indices = torch.tensor([i for part in parts for i in part[0]], dtype=torch.long)
    local = (indices, torch.cat([p[1] for p in parts]), torch.cat([p[2] for p in parts]))
    gathered = all_gather_object(local) if get_dist_info()[1] > 1 else [local]
    dim = gathered[0][1].shape[1]
    features, labels = torch.zeros(size, dim), torch.full((size, ), -1, dtype=torch.long)
    seen = torch.zeros(size, dtype=torch.bool)
    for idx, feats, labs in gathered:
        features[idx], labels[idx], seen[idx] = feats, labs, True
    if not seen.all():
        raise RuntimeError(f'feature extraction saw {int(seen.sum())} of {size} images: the dataloader must visit '
                           'every image (DefaultSampler, shuffle=False)')
    return features, labels


@torch.no_grad()
def episode_accuracy(head: BaseFewShotHead, features: torch.Tensor, sampler: EpisodicSampler, index: int) -> float:
    """Query accuracy (%) of ``head`` on episode ``index`` of ``sampler``, from cached ``features``."""
    support, query = (torch.from_numpy(x) for x in sampler.episode(index))
    ways = torch.arange(sampler.num_ways)
    logits = head.episode_logits(features[support.reshape(-1)], ways.repeat_interleave(sampler.num_shots),
                                 features[query.reshape(-1)], sampler.num_ways)
    hits = logits.argmax(dim=1) == ways.repeat_interleave(sampler.num_queries)
    return float(hits.double().mean()) * 100


class _MetaTestMixin:
    """Shared by :class:`MetaValLoop` and :class:`MetaTestLoop`; ``runner``, ``dataloader``, ``evaluator``
    come from the mmengine loop."""

    def _setup(self, num_ways: int, num_shots: Sequence[int], num_queries: int, num_episodes: int, seed: int,
               head: Optional[dict]) -> None:
        self.num_ways, self.num_queries = num_ways, num_queries
        self.num_shots = (num_shots, ) if isinstance(num_shots, int) else tuple(num_shots)
        self.num_episodes, self.seed = num_episodes, seed
        self.head_cfg = head

    def _model(self) -> nn.Module:
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def _head(self, model: nn.Module) -> BaseFewShotHead:
        if self.head_cfg is not None:
            return MODELS.build(self.head_cfg)
        if isinstance(getattr(model, 'head', None), BaseFewShotHead):
            return model.head
        raise ValueError(f'{type(self).__name__}: the model\'s head ({type(getattr(model, "head", None)).__name__}) is '
                         "not a few-shot head; give the loop one, e.g. head=dict(type='CosineProtoHead')")

    def _setting(self, shots: int) -> str:
        return f'{self.num_ways}way-{shots}shot'

    def _evaluate(self, stage: str) -> dict:
        """Features of every image (one pass, hooks called per batch), then the episodes of every setting."""
        self.runner.call_hook(f'before_{stage}')
        self.runner.call_hook(f'before_{stage}_epoch')
        model = self._model()
        model.eval()
        head = self._head(model)
        parts = []
        for idx, data_batch in enumerate(self.dataloader):
            self.runner.call_hook(f'before_{stage}_iter', batch_idx=idx, data_batch=data_batch)
            parts.append(extract_features(model, data_batch, head))
            self.runner.call_hook(f'after_{stage}_iter', batch_idx=idx, data_batch=data_batch, outputs=[])
        features, labels = gather_features(parts, len(self.dataloader.dataset))
        rank, world_size = get_dist_info()
        mine = range(rank, self.num_episodes, world_size)
        # a bar for test runs (thousands of episodes); validation during training stays quiet
        bar = ProgressBar(len(mine) * len(self.num_shots)) if stage == 'test' and is_main_process() else None
        for shots in self.num_shots:
            sampler = EpisodicSampler(labels=labels.numpy(), num_ways=self.num_ways, num_shots=shots,
                                      num_queries=self.num_queries, num_episodes=self.num_episodes, seed=self.seed)
            for index in mine:
                record = dict(setting=self._setting(shots), episode=index,
                              accuracy=episode_accuracy(head, features, sampler, index))
                self.evaluator.process(data_samples=[record], data_batch=None)
                if bar is not None:
                    bar.update()
        if bar is not None:
            print()  # the progress bar does not end its line
        metrics = self.evaluator.evaluate(self.num_episodes * len(self.num_shots))
        self._report(metrics, head)
        self.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{stage}')
        return metrics

    def _report(self, metrics: Dict[str, float], head: BaseFewShotHead) -> None:
        rows = []
        for shots in self.num_shots:
            key = f'fewshot/{self._setting(shots)}'
            if f'{key}_accuracy' in metrics:
                rows.append([self._setting(shots), f'{metrics[f"{key}_accuracy"]:.2f} ± {metrics[f"{key}_ci95"]:.2f}',
                             int(metrics[f'{key}_episodes'])])
        print_log(f'few-shot accuracy (%, ± 95% CI), {self.num_queries} queries per class, head '
                  f'{type(head).__name__}, seed {self.seed}:\n' + markdown_table(['setting', 'accuracy', 'episodes'],
                                                                                  rows), logger='current')
        if is_main_process():
            atomic_write_json(osp.join(self.runner.log_dir, 'fewshot.json'), dict(
                metrics=metrics, num_ways=self.num_ways, num_shots=list(self.num_shots),
                num_queries=self.num_queries, num_episodes=self.num_episodes, seed=self.seed,
                head=type(head).__name__), indent=2)


@LOOPS.register_module()
class MetaTestLoop(_MetaTestMixin, TestLoop):
    """Few-shot evaluation for ``tools/test.py``: N-way K-shot episodes on the test split.

    The dataloader visits every image once (``DefaultSampler``, ``shuffle=False``, any batch size; shared
    among processes); each image's feature (``head.pre_logits(model.extract_feat(...))``) is gathered on
    every process, and the episodes (:class:`EpisodicSampler` with ``seed``, the same for every process
    count) are classified from that cache, shared round-robin among processes. So ``num_episodes``
    episodes cost one pass over the split, and a distributed run gives the numbers of one process. The
    evaluator is :class:`FewShotAccuracy`; the loop prints a table and writes ``<log_dir>/fewshot.json``.

    Args:
        num_ways: classes per episode.
        num_shots: support images per class; several values are evaluated in one run (e.g. ``(1, 5)``).
        num_queries: query images per class.
        num_episodes: episodes per setting.
        seed: episode seed.
        head: the few-shot head (e.g. ``dict(type='CosineProtoHead')``); default: the model's head, which
            must then be a few-shot head.
        Others as ``TestLoop``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 num_ways: int = 5, num_shots: Union[int, Sequence[int]] = (1, 5), num_queries: int = 15,
                 num_episodes: int = 2000, seed: int = 0, head: Optional[dict] = None, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(num_ways, num_shots, num_queries, num_episodes, seed, head)

    def run(self) -> dict:
        return self._evaluate('test')


@LOOPS.register_module()
class MetaValLoop(_MetaTestMixin, ValLoop):
    """:class:`MetaTestLoop` for validation during training (model selection on the val classes).

    Arguments are those of :class:`MetaTestLoop` (fewer episodes by default).
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 num_ways: int = 5, num_shots: Union[int, Sequence[int]] = (1, 5), num_queries: int = 15,
                 num_episodes: int = 500, seed: int = 0, head: Optional[dict] = None, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._setup(num_ways, num_shots, num_queries, num_episodes, seed, head)

    def run(self) -> dict:
        return self._evaluate('val')
