"""Every part segmentation / detection config builds its model and datasets, and a sample goes through."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.datasets.part_id_table import ClassCountMismatchError
from mmpart.registry import DATASETS, MODELS
from mmpart.utils import register_all_modules
from mmpart.utils.distributed import replace_sync_bn

from .conftest import REPO, datasets_of, use_data_root

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'partseg', '*.py')) +
                 glob.glob(osp.join(REPO, 'configs', 'partdet', '*.py')))


def test_every_model_family_has_configs():
    names = [osp.basename(c) for c in CONFIGS]
    for stem in ('fpn_r50', 'deeplabv3_r50-d8', 'deeplabv3_r101-d8', 'segformer_mit-b2', 'segformer_mit-b4'):
        assert sum(n.startswith(stem) and 'partimagenet-512' in n for n in names) == 2, stem  # single + ms-flip
        assert sum(n.startswith(stem) and 'pinpp' in n for n in names) == 1, stem
    assert sum(n.startswith('mask-rcnn_r50_fpn') for n in names) == 2
    assert 'mask-rcnn_r18_fpn_synthetic-parts.py' in names
    assert 'fpn_r50_4xb4-40k_partimagenet-objects-512x512.py' in names  # whole objects


def build(cfg: Config, splits=('train', 'val', 'test')) -> dict:
    with DefaultScope.overwrite_default_scope('mmpart'):
        return {split: DATASETS.build(cfg[f'{split}_dataloader'].dataset) for split in splits}


@pytest.mark.parametrize('config', [c for c in CONFIGS if not c.endswith('_ms-flip.py')], ids=osp.basename)
def test_config_builds_model_and_datasets(config, pinpp, partimagenet):
    register_all_modules()
    cfg = Config.fromfile(config)
    assert cfg.default_scope == 'mmpart'
    synthetic = 'synthetic' in osp.basename(config)  # the demo's scaled-down config, on the converter's output
    on_pinpp = synthetic or 'pinpp' in osp.basename(config)
    use_data_root(cfg, pinpp['root'] if on_pinpp else partimagenet)
    if on_pinpp:
        # the config's class count (read from data/pinpp/part_ids.json if it exists, else the authors' 3,310 parts;
        # the demo's default synthetic set) disagrees with the 3-class synthetic set: the datasets stop
        n = pinpp['num_seg_classes'] if 'partseg' in config else pinpp['num_det_classes']
        with pytest.raises(ClassCountMismatchError, match=rf'num_classes={cfg.num_classes}, but .*part_ids.json has '
                                                          rf'{pinpp["num_seg_classes"] - 1} parts over 3 classes, i.e. '
                                                          rf'{n} classes'):
            build(cfg, ('test', ))
        for _, dataset in datasets_of(cfg):
            dataset.num_classes = n
    model_cfg = replace_sync_bn(cfg.model)
    model_cfg.backbone.init_cfg = None
    if 'pretrained' in model_cfg:
        model_cfg.pretrained = None
    with DefaultScope.overwrite_default_scope('mmpart'):
        model = MODELS.build(model_cfg)
    datasets = build(cfg, [split for split, _ in datasets_of(cfg)])
    assert all(len(d) for d in datasets.values())
    sample = datasets['test'][0]['data_samples']
    if 'partseg' in config:
        ignore = 65535 if on_pinpp else 255
        assert model.decode_head.ignore_index == ignore and cfg.test_evaluator.ignore_index == ignore
        mpm_head = type(model.decode_head).__name__ == 'MPMPartHead'  # the MPM bypass: its own focal part loss
        assert model.decode_head.loss_decode.loss_name == ('loss_part' if mpm_head else 'loss_ce')
        if on_pinpp:
            assert model.data_preprocessor.seg_pad_val == 65535 and model.decode_head.num_classes == cfg.num_classes
        else:
            objects = 'objects' in config  # 158 object classes + background, or 40 parts + background
            classes = datasets['test'].metainfo['classes']
            assert model.decode_head.num_classes == len(classes) == (159 if objects else 41)
            # MPM labels background 0 (its configs use the cleaner's background-first view); mmseg configs last
            assert classes[0 if mpm_head else -1] == 'Background'
        assert 'gt_sem_seg' in sample
    else:
        # the heads take the dataset config's num_classes (the demo's synthetic set: 6 object classes with 21 parts)
        expected = cfg.num_classes if on_pinpp else len(datasets['train'].metainfo['classes'])
        assert model.roi_head.bbox_head.num_classes == model.roi_head.mask_head.num_classes == expected
        assert on_pinpp or expected == 40
        assert sample.gt_instances.masks.masks.shape[0] > 0


@pytest.mark.parametrize('config', [c for c in CONFIGS if c.endswith('_ms-flip.py')], ids=osp.basename)
def test_tta_config_wraps_the_single_scale_model(config, partimagenet):
    register_all_modules()
    cfg = Config.fromfile(config)
    single = Config.fromfile(config.replace('_ms-flip.py', '.py'))
    assert cfg.model.type == 'SegTTAModel' and cfg.model.module == single.model
    use_data_root(cfg, partimagenet)
    sample = build(cfg, ('test', ))['test'][0]
    # 6 scales x 2 flips of one image, each with its annotation
    assert len(sample['inputs']) == len(sample['data_samples']) == 12
    assert all('gt_sem_seg' in s for s in sample['data_samples'])
