"""Build a model of any mmpart config (classifier, MPM, segmentor, detector) for inference and analysis."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.datasets.robustness.imagenet_meta import IMAGENET_WNIDS
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules
from mmpart.utils.checkpoint_match import load_checkpoint_exactly
from mmpart.utils.config_file import load_config

__all__ = ['init_model', 'class_display_names', 'display_class_names', 'object_names_of_config', 'wnid_names']


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> BaseModel:
    """The model of ``config`` (built in the mmpart scope) in eval mode, with ``checkpoint`` loaded.

    As mmpretrain's ``get_model`` (which builds in the mmpretrain scope, where mmpart's models are not
    found): the model gets ``_config`` (the config) and ``_dataset_meta`` (the checkpoint's
    ``meta.dataset_meta``, empty without a checkpoint), so mmpretrain's inferencers accept it. A checkpoint
    that does not fit the model exactly is refused (:class:`~mmpart.utils.checkpoint_match.CheckpointMismatchError`,
    the message ``tools/test.py`` gives), where mmengine's loader would warn and leave layers random.
    """
    register_all_modules(init_default_scope=False)
    cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('data_preprocessor') is None and cfg.get('data_preprocessor') is not None:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpart'):
        model = MODELS.build(cfg.model)
    meta = {}
    if checkpoint is not None:  # refused unless it fits the model exactly, as tools/test.py refuses it
        meta = load_checkpoint_exactly(model, checkpoint).get('meta') or {}
    model._config = cfg
    model._dataset_meta = dict(meta.get('dataset_meta') or {})
    return model.to(device).eval()


def object_names_of_config(cfg: Config) -> Dict[str, str]:
    """wnid → display name from the ``part_ids.json`` that the config's PIN++ datasets read, if it is there."""
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(split) or {}).get('dataset') or {}
        while 'dataset' in dataset:  # dataset wrappers
            dataset = dataset['dataset']
        if not str(dataset.get('type', '')).startswith('PINPP'):
            continue
        part_id_file = dataset.get('part_id_file', 'part_ids.json')
        if not part_id_file:
            continue
        path = part_id_file if osp.isabs(part_id_file) else osp.join(dataset.get('data_root', ''), part_id_file)
        if osp.isfile(path):
            return PartIdTable.load(path).object_names
    return {}


def wnid_names(cfg: Optional[Config] = None) -> Dict[str, str]:
    """wnid → readable name: ImageNet's names for IN-1K wnids, the object names of the ``part_ids.json`` that
    ``cfg``'s datasets read for others."""
    objects = object_names_of_config(cfg) if cfg is not None else {}
    return {**objects, **dict(zip(IMAGENET_WNIDS, IMAGENET_CATEGORIES))}


def display_class_names(classes: Sequence[str], cfg: Optional[Config] = None) -> List[str]:
    """Readable names of class wnids (:func:`wnid_names`): ``'<name> (<wnid>)'`` when a name is known, else the
    class as given."""
    known = wnid_names(cfg)
    names = []
    for wnid in classes:
        name = known.get(wnid)
        names.append(f'{name} ({wnid})' if name and name != wnid else wnid)
    return names


def class_display_names(model: BaseModel) -> Optional[List[str]]:
    """Readable class names of a model of :func:`init_model` (see :func:`display_class_names`): the
    checkpoint's classes, or the ImageNet classes for a 1000-way head without class names."""
    classes: Optional[Sequence[str]] = model._dataset_meta.get('classes')
    if classes is None:
        if getattr(getattr(model, 'head', None), 'num_classes', None) != len(IMAGENET_WNIDS):
            return None
        classes = IMAGENET_WNIDS
    return display_class_names(classes, model._config)
