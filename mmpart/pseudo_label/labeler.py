"""Pseudo part labels for unannotated images from a part instance segmentation model (DESIGN §6)."""
import copy
import hashlib
import os
import os.path as osp
import warnings
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Set, Union

import numpy as np
import torch
import torch.distributed as dist
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, DefaultScope
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Dataset

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.datasets.part_mask_io import write_part_mask
from mmpart.utils.atomic_io import atomic_write_json, atomic_write_text, remove_stale_temps
from mmpart.utils.checkpoint_match import load_checkpoint_exactly
from mmpart.utils.config_file import load_config

from .image_list import list_unlabeled
from .painting import paint_parts, select_parts
from .progress import BatchLog, check_run_settings

__all__ = ['PartPseudoLabeler', 'build_test_pipeline', 'init_part_detector']

FORMAT = 'mmpart.pinpp.pseudo_labels/v1'
STATE_DIR = '.pseudo_label'


def build_test_pipeline(cfg: Config) -> Compose:
    """The test pipeline of ``cfg.test_dataloader`` without annotation loading, built in the scope the test
    dataset builds it in (``pipeline_scope`` of mmpart datasets that extend mmdet's, else the dataset's scope)."""
    dataset_cfg = cfg.test_dataloader.dataset
    scope = cfg.get('default_scope') or 'mmdet'
    while True:
        scope = dataset_cfg.get('_scope_', scope)
        if 'pipeline' in dataset_cfg or 'dataset' not in dataset_cfg:
            break
        dataset_cfg = dataset_cfg.dataset
    with DATASETS.switch_scope_and_registry(scope) as registry:
        scope = getattr(registry.get(dataset_cfg['type']), 'pipeline_scope', scope)
    steps = [copy.deepcopy(t) for t in dataset_cfg.pipeline if t['type'].split('.')[-1] != 'LoadAnnotations']
    with DefaultScope.overwrite_default_scope(scope):
        return Compose(steps)


def init_part_detector(config: Union[str, Config], checkpoint: Optional[str], device: str = 'cpu',
                       cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """mmdet's ``init_detector`` for an mmpart config, the checkpoint loaded only if it fits the model exactly
    (:func:`~mmpart.utils.checkpoint_match.load_checkpoint_exactly`; mmdet's loader would warn and go on);
    class names come from the checkpoint's meta. ``checkpoint=None`` leaves the weights as built (no class names)."""
    from mmdet.apis import init_detector

    cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.backbone.init_cfg = None
    with warnings.catch_warnings():  # "checkpoint is None, use COCO classes": the checkpoint's come next
        warnings.simplefilter('ignore')
        # palette='random': do not build the test dataset (its data need not exist where labels are made)
        model = init_detector(cfg, None, palette='random', device='cpu')
    meta = (load_checkpoint_exactly(model, checkpoint).get('meta') or {}) if checkpoint else {}
    model.dataset_meta = dict({k.lower(): v for k, v in (meta.get('dataset_meta') or {}).items()}, palette='random')
    return model.to(device)


class _ImageFiles(Dataset):
    """Images ``<img_root>/<wnid>/<file>`` through a test pipeline."""

    def __init__(self, img_root: str, images: Sequence[str], pipeline: Compose) -> None:
        self.img_root, self.images, self.pipeline = img_root, list(images), pipeline

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        path = osp.join(self.img_root, self.images[index])
        try:
            data = self.pipeline(dict(img_path=path, img_id=index))
        except Exception as err:
            raise RuntimeError(f'{path}: cannot load the image ({type(err).__name__}: {err})') from err
        if data is None:
            raise RuntimeError(f'{path}: the test pipeline dropped the image')
        return data


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


class PartPseudoLabeler:
    """Paints a detector's part instances of each image's own class into training-layout masks.

    Output under ``out_dir`` (read by ``PINPPDataset`` with ``seg_map_path=<out>/seg`` and
    ``pseudo_path=<out>/whether_pseudo``): ``seg/<wnid>/<stem>.png`` (uint16 global part ids, only
    for images with at least one part), ``whether_pseudo/<wnid>.txt`` (``<wnid>/<file> 1``) and
    ``summary.json``; ``.pseudo_label/`` holds the run settings and per-rank logs that make a
    restarted run skip finished batches.

    Args:
        model: an mmdet instance segmentation model in eval mode whose ``dataset_meta['classes']`` are
            PIN++ part names (``<wnid>:<part>``, as ``PINPPCocoDataset``); other classes are ignored.
        pipeline: test pipeline producing the model's inputs from ``img_path``.
        table: the PIN++ part id table (``part_ids.json``).
        score_thr: minimum detection score kept.
        batch_size: images per ``test_step``.
        num_workers: image loading processes.
    """

    def __init__(self, model: torch.nn.Module, pipeline: Compose, table: PartIdTable, score_thr: float = 0.5,
                 batch_size: int = 4, num_workers: int = 2) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be positive, got {batch_size}')
        self.model, self.pipeline, self.table = model, pipeline, table
        self.score_thr, self.batch_size, self.num_workers = float(score_thr), batch_size, num_workers
        classes = list(model.dataset_meta.get('classes', ()))
        ids = {name: i for i, name in enumerate(table.class_names()) if i}
        self.label_to_part = np.array([ids.get(name, 0) for name in classes], dtype=np.int64)
        if not self.label_to_part.any():
            raise ValueError(f'none of the detector\'s {len(classes)} classes is a part of the part id table '
                             f'(detector classes start {classes[:3]}, parts {table.class_names()[1:4]})')
        self.parts_of: Dict[str, np.ndarray] = {w: np.array(table.part_ids_of(w)) for w in table.wnids}

    def run(self, img_root: str, out_dir: str, annotated: Optional[Set[str]] = None, rank: int = 0,
            world_size: int = 1, progress: bool = True, run_info: Optional[dict] = None) -> Optional[dict]:
        """Label this rank's shard of the unannotated images, then (rank 0) write the lists and summary.

        Args:
            img_root: ``<wnid>/<file>`` images.
            out_dir: output folder (not the converter's output: its ``whether_pseudo`` would be replaced).
            annotated: keys ``<wnid>/<stem>`` of images PIN++ annotates (skipped).
            rank, world_size: this process's shard ``images[rank::world_size]``.
            progress: show a progress bar (rank 0).
            run_info: extra JSON-able settings recorded with the run (e.g. config and checkpoint paths).

        Returns:
            The summary on rank 0, None on other ranks.
        """
        if osp.isfile(osp.join(out_dir, 'part_ids.json')) or osp.isdir(osp.join(out_dir, 'coco')):
            raise ValueError(f'{out_dir}: looks like the converter\'s output; write pseudo labels to their own folder')
        images, skipped = list_unlabeled(img_root, self.table.wnids, annotated)
        settings = dict(format=FORMAT, **(run_info or {}), score_thr=self.score_thr, batch_size=self.batch_size,
                        world_size=world_size, images=len(images), images_sha1=_sha1('\n'.join(images)),
                        parts_sha1=_sha1('\n'.join(self.table.class_names())))
        state_dir = osp.join(out_dir, STATE_DIR)
        if rank == 0:  # writes (or checks) the settings first; the other ranks then check against them
            self._remove_stale_outputs(out_dir)
            check_run_settings(osp.join(state_dir, 'run.json'), settings)
        if world_size > 1:
            dist.barrier()
        if rank != 0:
            check_run_settings(osp.join(state_dir, 'run.json'), settings)

        shard = images[rank::world_size]
        batches = [shard[i:i + self.batch_size] for i in range(0, len(shard), self.batch_size)]
        remove_stale_temps(state_dir, {f'rank{rank}.jsonl'})
        log = BatchLog(osp.join(state_dir, f'rank{rank}.jsonl'))
        todo = batches[log.num_done:]
        self._remove_earlier_masks(out_dir, todo)
        self._label(img_root, out_dir, todo, log, progress and rank == 0)

        if world_size > 1:
            dist.barrier()
        if rank != 0:
            return None
        records = self._collect(state_dir, images, world_size)
        return self._write_lists_and_summary(out_dir, records, skipped, settings)

    def _remove_stale_outputs(self, out_dir: str) -> None:
        """Temporary files of rank 0's outputs that a killed run left."""
        remove_stale_temps(osp.join(out_dir, STATE_DIR), {'run.json'})
        remove_stale_temps(osp.join(out_dir, 'whether_pseudo'), {f'{w}.txt' for w in self.table.wnids})
        remove_stale_temps(out_dir, {'summary.json'})

    def _remove_earlier_masks(self, out_dir: str, batches: List[List[str]]) -> None:
        """Masks and temporary files that an interrupted run left for the images about to be relabelled.

        A batch is logged only after all of its masks are written, so a kill in between leaves masks
        of an unlogged batch. The redo rewrites the masks of images in which it finds parts; the others
        must not keep the earlier mask, which no ``whether_pseudo`` list would mark as pseudo.
        """
        stems: Dict[str, Set[str]] = defaultdict(set)
        for image in (i for batch in batches for i in batch):
            wnid, name = image.split('/')
            stems[wnid].add(osp.splitext(name)[0] + '.png')
        for wnid, names in stems.items():
            folder = osp.join(out_dir, 'seg', wnid)
            remove_stale_temps(folder, names)
            for name in names:
                if osp.isfile(osp.join(folder, name)):
                    os.unlink(osp.join(folder, name))

    def _label(self, img_root: str, out_dir: str, batches: List[List[str]], log: BatchLog, progress: bool) -> None:
        images = [image for batch in batches for image in batch]
        if not images:
            return
        starts = np.cumsum([0] + [len(b) for b in batches])
        loader = DataLoader(_ImageFiles(img_root, images, self.pipeline),
                            batch_sampler=[list(range(s, s + len(b))) for s, b in zip(starts, batches)],
                            num_workers=self.num_workers, collate_fn=pseudo_collate)
        bar = ProgressBar(len(images)) if progress else None
        for batch, data in zip(batches, loader):
            with torch.no_grad():
                results = self.model.test_step(data)
            records = [self._paint_and_write(out_dir, image, result) for image, result in zip(batch, results)]
            log.append(dict(batch=log.num_done, images=records))
            if bar is not None:
                bar.update(len(batch))

    def _paint_and_write(self, out_dir: str, image: str, result) -> dict:
        wnid, name = image.split('/')
        instances = result.pred_instances
        if 'masks' not in instances:
            raise ValueError('the detector predicts no masks: pseudo part labels need an instance segmentation model')
        labels, scores = instances.labels.cpu().numpy(), instances.scores.cpu().numpy()
        keep, dropped = select_parts(labels, scores, self.label_to_part, self.parts_of[wnid], self.score_thr)
        height, width = result.ori_shape[:2]
        masks = instances.masks[torch.from_numpy(keep)].cpu().numpy() if keep.size else np.zeros((0, height, width))
        mask = paint_parts(masks, scores[keep], self.label_to_part[labels[keep]], (height, width))
        parts = [int(i) for i in np.unique(mask) if i]
        if parts:
            write_part_mask(osp.join(out_dir, 'seg', wnid, osp.splitext(name)[0] + '.png'), mask)
        return dict(image=image, instances=int(keep.size), parts=parts, dropped=dropped)

    def _collect(self, state_dir: str, images: List[str], world_size: int) -> List[dict]:
        records = []
        for rank in range(world_size):
            log = BatchLog(osp.join(state_dir, f'rank{rank}.jsonl'))
            expected = -(-len(images[rank::world_size]) // self.batch_size)
            if log.num_done != expected:
                raise RuntimeError(f'{log.path}: rank {rank} finished {log.num_done} of {expected} batches')
            records += [r for batch in log.records for r in batch['images']]
        return sorted(records, key=lambda r: r['image'])

    def _write_lists_and_summary(self, out_dir: str, records: List[dict], skipped: dict, settings: dict) -> dict:
        by_wnid: Dict[str, List[dict]] = defaultdict(list)
        for record in records:
            by_wnid[record['image'].split('/')[0]].append(record)
        for wnid, recs in sorted(by_wnid.items()):
            atomic_write_text(osp.join(out_dir, 'whether_pseudo', f'{wnid}.txt'),
                              ''.join(f'{r["image"]} 1\n' for r in recs if r['parts']))
        summary = dict(
            settings,
            images=len(records),
            images_with_parts=sum(bool(r['parts']) for r in records),
            parts_per_image=round(float(np.mean([r['instances'] for r in records] or [0])), 4),
            distinct_parts_per_image=round(float(np.mean([len(r['parts']) for r in records] or [0])), 4),
            dropped_detections=sum(r['dropped'] for r in records),
            skipped=skipped,
            per_class={wnid: self._class_coverage(wnid, recs) for wnid, recs in sorted(by_wnid.items())})
        atomic_write_json(osp.join(out_dir, 'summary.json'), summary, indent=1)
        return summary

    def _class_coverage(self, wnid: str, records: List[dict]) -> dict:
        with_parts = sum(bool(r['parts']) for r in records)
        counts = Counter(p for r in records for p in r['parts'])
        names = {p.id: p.name for p in self.table.parts if p.wnid == wnid}
        return dict(images=len(records), images_with_parts=with_parts,
                    coverage=round(with_parts / len(records), 4),
                    parts=[dict(id=int(i), name=names[i], images=counts.get(i, 0)) for i in self.parts_of[wnid]])
