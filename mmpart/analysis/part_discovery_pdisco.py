"""Part discovery scored as PDiscoNet / PDiscoFormer publish it: K parts shared by the whole image set, NMI and ARI
over all pixels with the background as a class.

Used by ``tools/analysis_tools/part_discovery.py --protocol pdisco``. The definitions follow the official
evaluation (ananthu-aniraj/pdiscoformer, ``evaluate_parts.py`` and ``eval_nmi_ari_part_imagenet``): images
resized so that the shorter side is ``img_size`` and centre-cropped to ``img_size`` × ``img_size`` (masks with
nearest neighbours), the discovered assignment maps upsampled bilinearly to that size, every pixel of every
image labelled (background included, as one class on both sides) and scored at once with scikit-learn. DFF
has no background and no cross-class parts of its own: its NMF runs once over the features of all images (so
the K factors are shared by every class, as PDiscoNet's K parts are) and the background is formed as
``background`` says (stated in the output).
"""
import os.path as osp
from typing import List, Optional, Sequence, Set

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log

from mmpart.evaluation.tables import markdown_table
from mmpart.utils import atomic_write_json, atomic_write_text
from mmpart.utils.config_file import load_config

from .part_discovery import (
    BACKGROUNDS,
    FACTOR_NORMS,
    border_factor,
    deep_feature_factorization,
    dff_part_map,
    pdisco_scores,
)
from .part_discovery_report import (
    ModelSpec,
    backbone_features,
    dataset_with_resizing,
    draw_discovery,
    load_backbone_model,
)

__all__ = ['pdisco_dataset', 'read_image_list', 'pdisco_samples', 'pdisco_report']


def pdisco_dataset(cfg: Config, split: str, img_size: int, center_crop: bool = True):
    """The ``{split}_dataloader`` dataset of ``cfg`` with its part-mask loader and the official resizing."""
    # torchvision's Resize(img_size): the shorter side to img_size (mmcv's keep_ratio fits the short side to the
    # smaller of the two scale values when the larger one does not bind)
    resize = [dict(type='Resize', scale=(img_size, img_size * 1000), keep_ratio=True)]
    if center_crop:
        resize.append(dict(type='CenterCrop', crop_size=img_size))
    return dataset_with_resizing(cfg, split, resize)


def read_image_list(path: str) -> Set[str]:
    """Image file names to evaluate: one per line, or PDiscoFormer's split file (tab-separated ``image_id is_test
    label_id wnid file_name``; its test images, ``is_test`` = 1)."""
    names = set()
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.rstrip('\n').split('\t')
            if len(fields) == 5:
                if fields[1].strip() not in ('0', '1'):
                    raise ValueError(f'{path}:{number}: the second column of a split file is 0 or 1, got '
                                     f'{fields[1]!r}')
                if fields[1].strip() == '1':
                    names.add(fields[4].strip())
            elif line.strip():
                names.add(osp.basename(line.strip()))
    if not names:
        raise ValueError(f'{path}: no image name in it')
    return names


def pdisco_samples(dataset, image_names: Optional[Set[str]] = None, num_images: Optional[int] = None) -> List[dict]:
    """The dataset's samples with a GT (not pseudo) part mask, in dataset order: those named in ``image_names`` if
    given, at most ``num_images`` per class if given."""
    labels = np.asarray(dataset.get_gt_labels())
    taken = {}
    samples = []
    for index in range(len(dataset)):
        if num_images is not None and taken.get(int(labels[index]), 0) >= num_images:
            continue
        info = dataset.get_data_info(index)
        if image_names is not None and osp.basename(info['img_path']) not in image_names:
            continue
        sample = dataset[index]
        meta = sample['data_samples'].metainfo
        if sample['data_samples'].get('gt_sem_seg') is None or not meta.get('has_part_mask', True) or \
                meta.get('is_pseudo', False):
            continue
        samples.append(sample)
        taken[int(labels[index])] = taken.get(int(labels[index]), 0) + 1
    return samples


def pdisco_report(models: Sequence[ModelSpec], out_dir: str, ks: Sequence[int] = (8, ), split: str = 'train',
                  image_list: Optional[str] = None, num_images: Optional[int] = None, img_size: int = 224,
                  center_crop: bool = True, stage: Optional[int] = None, background: str = 'threshold',
                  bg_threshold: float = 0.2, factor_norm: str = 'image_max', num_vis: int = 4, seed: int = 0,
                  dataset_config: Optional[str] = None, cfg_options: Optional[dict] = None) -> dict:
    """DFF of every model's backbone over all images at once, for each K; NMI / ARI (%) over all pixels with the
    background as a class, as a markdown table and JSON in ``out_dir``, pictures in ``out_dir/vis``.

    Args:
        models: ``(name, config, checkpoint)`` of each classifier.
        out_dir: output folder.
        ks: numbers of discovered (foreground) parts.
        split: the dataloader whose dataset (with part masks) is used.
        image_list: keep these images only (see :func:`read_image_list`), e.g. PDiscoFormer's PartImageNet
            OOD split file for its 1,659 test images.
        num_images: at most this many images per class.
        img_size: the evaluation resolution (official: 224).
        center_crop: crop the resized images to img_size × img_size (official: yes for batched evaluation).
        stage: backbone stage to factorise (default: the config's last output).
        background, bg_threshold: how DFF's background is formed (see ``part_discovery.BACKGROUNDS``).
        factor_norm: factor scaling before the argmax (see ``part_discovery.FACTOR_NORMS``).
        num_vis: pictures per model and K.
        seed: NMF seed.
        dataset_config: config whose dataset is used (default: the first model's).
        cfg_options: overrides of every config.
    """
    if background not in BACKGROUNDS or factor_norm not in FACTOR_NORMS:
        raise ValueError(f'background must be one of {BACKGROUNDS} and factor_norm one of {FACTOR_NORMS}, got '
                         f'{background!r}, {factor_norm!r}')
    data_cfg = load_config(dataset_config or models[0][1])
    if cfg_options:
        data_cfg.merge_from_dict(cfg_options)
    dataset = pdisco_dataset(data_cfg, split, img_size, center_crop)
    names = read_image_list(image_list) if image_list else None
    samples = pdisco_samples(dataset, names, num_images)
    if not samples:
        raise ValueError(f'no image of the {split} dataset has a part mask' + (f' and is in {image_list}'
                                                                                if image_list else ''))
    gt_masks = [s['data_samples'].gt_sem_seg.data[0].numpy() for s in samples]
    part_names = dataset.metainfo.get('part_classes') or ()
    results = {}
    for name, config, checkpoint in models:
        features = backbone_features(load_backbone_model(config, checkpoint, stage, cfg_options), samples)
        rows = {}
        for k in ks:
            heatmaps, _ = deep_feature_factorization(features, k + (background == 'factor'), seed)
            bg_factor = border_factor(heatmaps) if background == 'factor' else None
            discovered = [dff_part_map(maps, mask.shape, factor_norm, background, bg_threshold, bg_factor)
                          for maps, mask in zip(heatmaps, gt_masks)]
            rows[str(k)] = pdisco_scores(discovered, gt_masks)
            for sample, parts in list(zip(samples, discovered))[:num_vis]:
                stem = osp.splitext(osp.basename(sample['data_samples'].img_path))[0]
                draw_discovery(sample, parts, k + 1, part_names, f'{name}: DFF K={k} (0 = background)',
                               osp.join(out_dir, 'vis', name, f'k{k}', f'{stem}.png'))
            print_log(f'part discovery (pdisco) {name} K={k}: NMI {rows[str(k)]["nmi"]:.2f}, ARI '
                      f'{rows[str(k)]["ari"]:.2f}', logger='current')
        results[name] = dict(config=config, checkpoint=checkpoint, k=rows)
    pixels = next(iter(next(iter(results.values()))['k'].values()))['pixels']
    settings = (f'DFF, one NMF over all {len(samples)} images; background: '
                f'{_background_text(background, bg_threshold)}; '
                f'factors scaled {factor_norm!r} before the argmax; {img_size} px '
                f'{"centre crops" if center_crop else "(shorter side)"}; NMI / ARI (%) over all {pixels} pixels, '
                'background as a class')
    table = f'Part discovery, PDiscoNet protocol ({settings}):\n\n' + markdown_table(
        ['model', 'K', 'NMI', 'ARI'], [[name, k, r['nmi'], r['ari']] for name, res in results.items()
                                       for k, r in res['k'].items()])
    summary = dict(protocol='pdisco', ks=list(ks), split=split, image_list=image_list, img_size=img_size,
                   center_crop=center_crop, stage=stage, background=background, bg_threshold=bg_threshold,
                   factor_norm=factor_norm, seed=seed, images=len(samples), settings=settings,
                   scores_in='percent, all pixels, background as a class', models=results)
    atomic_write_json(osp.join(out_dir, 'part_discovery_pdisco.json'), summary, indent=2)
    atomic_write_text(osp.join(out_dir, 'part_discovery_pdisco.md'), table + '\n')
    print(table)
    return summary


def _background_text(background: str, bg_threshold: float) -> str:
    if background == 'threshold':
        return f'pixels whose total factor weight is below {bg_threshold:g} x the image maximum'
    if background == 'factor':
        return 'one extra NMF factor, the strongest on the image borders'
    return 'none (every pixel is a part)'
