"""Part discovery of trained classifiers' backbones on a dataset with part masks: scores, tables, pictures.

Used by ``tools/analysis_tools/part_discovery.py``. Every model is scored on the same images: the ``split``
dataset of one config (with part masks), loaded by a deterministic pipeline — image, the config's own
part-mask loader, a square resize, packing.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from mmpart.evaluation.tables import markdown_table
from mmpart.registry import DATASETS, MODELS
from mmpart.utils import atomic_write, atomic_write_json, atomic_write_text
from mmpart.utils.checkpoint_match import load_checkpoint_exactly
from mmpart.utils.config_file import load_config

from .part_discovery import discover_class_parts

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the non-interactive backend)
from matplotlib.patches import Patch  # noqa: E402

__all__ = ['MASK_LOADERS', 'discovery_dataset', 'load_backbone_model', 'class_samples', 'backbone_features',
           'draw_discovery', 'part_discovery_report']

#: pipeline steps that load a part mask into ``gt_seg_map`` (background 0)
MASK_LOADERS = ('LoadPartMask', 'LoadPartMaskFromAnnotations')
SCORE_KEYS = ('matched_miou', 'nmi', 'ari')
ModelSpec = Tuple[str, str, str]  # name, config, checkpoint


def discovery_dataset(cfg: Config, split: str, img_size: int):
    """The ``{split}_dataloader`` dataset of ``cfg`` with a deterministic pipeline that keeps its part-mask loader."""
    return dataset_with_resizing(cfg, split, [dict(type='Resize', scale=(img_size, img_size))])


def dataset_with_resizing(cfg: Config, split: str, resize: List[dict]):
    """The innermost ``{split}_dataloader`` dataset of ``cfg`` with the pipeline: load the image, its part mask
    (the dataset's own mask loader), the ``resize`` steps, pack; a pipeline without a mask loader is refused."""
    dataset_cfg = cfg[f'{split}_dataloader'].dataset.copy()
    while 'dataset' in dataset_cfg:  # dataset wrappers
        dataset_cfg = dataset_cfg.dataset.copy()
    loaders = [step for step in dataset_cfg.get('pipeline', []) if step.get('type') in MASK_LOADERS]
    if not loaders:
        raise ValueError(f'{cfg.filename}: the {split} pipeline loads no part mask (none of {MASK_LOADERS}); use a '
                         'split (or --dataset-config) whose dataset has part masks')
    dataset_cfg.pipeline = [dict(type='LoadImageFromFile'), dict(loaders[0]), *resize, dict(type='PackPartInputs')]
    with DefaultScope.overwrite_default_scope('mmpart'):
        return DATASETS.build(dataset_cfg)


def load_backbone_model(config: str, checkpoint: str, stage: Optional[int] = None,
                        cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """The classifier of ``config`` with ``checkpoint`` loaded, in eval mode; ``stage`` picks the backbone output."""
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.backbone['init_cfg'] = None
    with DefaultScope.overwrite_default_scope('mmpart'):
        model = MODELS.build(cfg.model)
    load_checkpoint_exactly(model, checkpoint)  # the model as trained: the checkpoint must fit it
    if stage is not None:
        trained, children = tuple(model.backbone.out_indices), dict(model.backbone.named_children())
        if any(f'norm{i}' in children for i in trained) and f'norm{stage}' not in children:  # ConvNeXt, Swin
            raise ValueError(f'{config}: the backbone normalises only the outputs of stages {trained} (out_indices); '
                             f'stage {stage} has no trained output norm: pick one of {trained}')
        model.backbone.out_indices = (stage, )
    return model.eval()


def class_samples(dataset, label: int, num_images: int) -> List[dict]:
    """The first ``num_images`` samples of class ``label`` that have a GT (not pseudo) mask with a part pixel."""
    samples = []
    for index in np.flatnonzero(np.asarray(dataset.get_gt_labels()) == label):
        sample = dataset[int(index)]
        meta = sample['data_samples'].metainfo
        mask = sample['data_samples'].get('gt_sem_seg')
        if mask is None or not meta.get('has_part_mask', True) or meta.get('is_pseudo', False):
            continue
        if ((mask.data > 0) & (mask.data != 65535)).any():
            samples.append(sample)
        if len(samples) == num_images:
            break
    return samples


@torch.no_grad()
def backbone_features(model: torch.nn.Module, samples: List[dict], batch_size: int = 16) -> np.ndarray:
    """The last backbone output of every sample, clamped at 0 (NMF needs non-negative features): N×C×h×w."""
    feats = []
    for start in range(0, len(samples), batch_size):
        data = model.data_preprocessor(pseudo_collate(samples[start:start + batch_size]), False)
        feats.append(model.backbone(data['inputs'])[-1].clamp(min=0).double().cpu())
    return torch.cat(feats).numpy()


def _colours(n: int, cmap: str) -> np.ndarray:
    """``n`` RGB colours of a qualitative matplotlib colour map, cycling."""
    colours = plt.get_cmap(cmap)
    return np.asarray([colours(i % colours.N) for i in range(n)])[:, :3]


def draw_discovery(sample: dict, discovered: np.ndarray, num_parts: int, part_names: Sequence[str], title: str,
                   out_file: str) -> None:
    """Image | discovered parts (factor colours) | GT parts (named), side by side, to a PNG."""
    image = sample['inputs'].permute(1, 2, 0).numpy()[..., ::-1] / 255.0
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy().astype(np.int64)
    factor_colours = _colours(num_parts, 'tab10')
    present = [int(p) for p in np.unique(gt) if p not in (0, 65535)]
    part_colours = dict(zip(present, _colours(len(present), 'Dark2')))
    gt_rgb = np.zeros(gt.shape + (3, ))
    for part, colour in part_colours.items():
        gt_rgb[gt == part] = colour
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.2))
    panels = [(image, 'image'), (0.35 * image + 0.65 * factor_colours[discovered], f'discovered parts (k={num_parts})'),
              (np.where((gt > 0)[..., None], 0.35 * image + 0.65 * gt_rgb, 0.35 * image), 'GT parts')]
    for ax, (pixels, name) in zip(axes, panels):
        ax.imshow(np.clip(pixels, 0, 1), interpolation='nearest')
        ax.set_title(name)
        ax.axis('off')
    axes[1].legend(handles=[Patch(color=factor_colours[i], label=f'factor {i}')
                            for i in range(num_parts)], loc='upper center', bbox_to_anchor=(0.5, 0), ncol=4,
                   fontsize=8, frameon=False)
    names = [part_names[p] if p < len(part_names) else str(p) for p in present]
    axes[2].legend(handles=[Patch(color=part_colours[p], label=n) for p, n in zip(present, names)],
                   loc='upper center', bbox_to_anchor=(0.5, 0), ncol=2, fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(out_file) as f:
        fig.savefig(f, format='png', dpi=100)
    plt.close(fig)


def _mean(rows: Dict[str, dict]) -> Dict[str, float]:
    return {key: float(np.mean([r[key] for r in rows.values()])) for key in SCORE_KEYS}


def part_discovery_report(models: Sequence[ModelSpec], out_dir: str, num_parts: int = 4,
                          wnids: Optional[Sequence[str]] = None, split: str = 'train', num_images: int = 20,
                          img_size: int = 224, stage: Optional[int] = None, num_vis: int = 4, seed: int = 0,
                          dataset_config: Optional[str] = None, cfg_options: Optional[dict] = None,
                          factor_norm: str = 'none') -> dict:
    """DFF part discovery of every model's backbone on the same images of each class; per-class and mean
    matched mIoU / NMI / ARI (%) as markdown tables and JSON in ``out_dir``, pictures in ``out_dir/vis``.

    Args:
        models: ``(name, config, checkpoint)`` of each classifier.
        out_dir: output folder.
        num_parts: k, the number of NMF factors.
        wnids: classes to analyse (names in the dataset's ``classes``); default all.
        split: the dataloader whose dataset (with part masks) is used.
        num_images: images per class (the first ones with a GT part mask).
        img_size: images (and masks) are resized to img_size × img_size.
        stage: backbone stage whose output is factorised (``out_indices=(stage, )``); default the config's last.
        num_vis: pictures per class and model.
        seed: NMF seed.
        dataset_config: config whose dataset is used (default: the first model's).
        cfg_options: overrides of every config.
        factor_norm: scaling of the factor maps before the argmax (``part_discovery.FACTOR_NORMS``; default raw).
    """
    data_cfg = load_config(dataset_config or models[0][1])
    if cfg_options:
        data_cfg.merge_from_dict(cfg_options)
    dataset = discovery_dataset(data_cfg, split, img_size)
    classes = list(dataset.metainfo['classes'])
    part_names = dataset.metainfo.get('part_classes') or ()
    unknown = [w for w in wnids or () if w not in classes]
    if unknown:
        raise ValueError(f'{unknown[0]!r} is not a class of the {split} dataset ({len(classes)} classes, e.g. '
                         f'{classes[:3]})')
    samples = {w: class_samples(dataset, classes.index(w), num_images) for w in (wnids or classes)}
    samples = {w: s for w, s in samples.items() if s}
    if not samples:
        raise ValueError(f'no image of the requested classes has a part mask in the {split} dataset')
    results = {}
    for name, config, checkpoint in models:
        model = load_backbone_model(config, checkpoint, stage, cfg_options)
        rows = {}
        for wnid, class_images in samples.items():
            scores, assignments = discover_class_parts(backbone_features(model, class_images),
                                                       [s['data_samples'].gt_sem_seg.data[0].numpy()
                                                        for s in class_images], num_parts, seed, factor_norm)
            rows[wnid] = scores
            for sample, discovered in list(zip(class_images, assignments))[:num_vis]:
                stem = osp.splitext(osp.basename(sample['data_samples'].img_path))[0]
                draw_discovery(sample, discovered, num_parts, part_names, f'{name}: {wnid}, DFF k={num_parts}',
                               osp.join(out_dir, 'vis', name, wnid, f'{stem}.png'))
            print_log(f'part discovery {name} {wnid}: ' + ', '.join(f'{k} {scores[k]:.2f}' for k in SCORE_KEYS),
                      logger='current')
        results[name] = dict(config=config, checkpoint=checkpoint, classes=rows, mean=_mean(rows))
    tables = _tables(results, factor_norm)
    summary = dict(protocol='foreground', num_parts=num_parts, split=split, img_size=img_size, stage=stage,
                   num_images=num_images, seed=seed, factor_norm=factor_norm, scores_in='percent, foreground pixels',
                   models=results)
    atomic_write_json(osp.join(out_dir, 'part_discovery.json'), summary, indent=2)
    atomic_write_text(osp.join(out_dir, 'part_discovery.md'), tables + '\n')
    print(tables)
    return summary


def _tables(results: Dict[str, dict], factor_norm: str) -> str:
    header = ['matched mIoU', 'NMI', 'ARI']
    blocks = []
    for name, result in results.items():
        rows = [[wnid, s['images'], s['pixels'], *(s[k] for k in SCORE_KEYS)] for wnid, s in result['classes'].items()]
        rows.append(['mean', '', '', *(result['mean'][k] for k in SCORE_KEYS)])
        blocks.append(f'Part discovery of {name} (DFF, factors scaled {factor_norm!r}, %, foreground pixels):\n\n'
                      + markdown_table(['class', 'images', 'pixels', *header], rows))
    if len(results) > 1:
        blocks.append('Part discovery, mean over classes (%):\n\n' + markdown_table(
            ['model', *header], [[name, *(r['mean'][k] for k in SCORE_KEYS)] for name, r in results.items()]))
    return '\n\n'.join(blocks)
