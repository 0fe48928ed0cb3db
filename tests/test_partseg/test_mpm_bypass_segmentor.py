"""The MPM bypass as an mmseg segmentor: a trained MPM checkpoint scored by tools/test.py + IoUMetric, and
MPMPartHead trained as an EncoderDecoder's decode head on PartImageNet (background first)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, load_checkpoint
from PIL import Image

from mmpart.datasets.part_mask_io import read_part_mask
from mmpart.datasets.partimagenet_meta import PARTIMAGENET_BACKGROUND
from mmpart.models.segmentors import MPMBypassSegmentor
from mmpart.registry import DATASETS, MODELS
from mmpart.utils import register_all_modules

from .conftest import REPO, use_data_root
from .test_train_eval import CONFIGS, metric, run_tool

MPM = osp.join(REPO, 'configs/mpm/mpm_r18_synthetic.py')
BYPASS = osp.join(REPO, 'configs/partseg/mpm-bypass_r18_synthetic-pinpp.py')


def test_tools_test_scores_an_mpm_checkpoint_with_iou_metric(pinpp, tmp_path):
    register_all_modules()
    num_classes = pinpp['num_seg_classes']
    mpm_cfg = Config.fromfile(MPM)
    mpm_cfg.model.part_head.num_classes = num_classes
    torch.manual_seed(0)
    mpm = MODELS.build(mpm_cfg.model)
    mpm.init_weights()
    mpm.eval()
    ckpt = str(tmp_path / 'mpm.pth')
    torch.save(dict(state_dict=mpm.state_dict(), meta=dict()), ckpt)

    cfg = Config.fromfile(BYPASS)
    cfg.model.decode_head.num_classes = num_classes
    with DefaultScope.overwrite_default_scope('mmpart'):
        segmentor = MODELS.build(cfg.model)
    load_checkpoint(segmentor, ckpt, map_location='cpu', strict=True)  # every key matched, classifier head dropped
    segmentor.eval()
    inputs = torch.randn(2, 3, 64, 64)
    metas = [dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64), padding_size=[0, 0, 0, 0])] * 2
    with torch.no_grad():
        assert torch.allclose(segmentor.encode_decode(inputs, metas), mpm.predict_parts(inputs, metas), atol=1e-5)

    # a second checkpoint whose bypass predicts background everywhere (zero logits: argmax picks class 0)
    for layer in mpm.part_head.seg_layers:
        torch.nn.init.zeros_(layer[-1].weight)
    background_ckpt = str(tmp_path / 'mpm_background.pth')
    torch.save(dict(state_dict=mpm.state_dict(), meta=dict()), background_ckpt)

    options = ['--cfg-options', f'test_dataloader.dataset.data_root={pinpp["root"]}',
               f'model.decode_head.num_classes={num_classes}', f'test_dataloader.dataset.num_classes={num_classes}',
               'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False']
    log = run_tool('test.py', BYPASS, background_ckpt, '--work-dir', str(tmp_path / 'test'), *options)
    assert 'n90000002:wing' in log  # IoUMetric's per-part table
    # background everywhere, by hand: IoU(background) = background / labelled pixels, 0 for every part present
    cfg.test_dataloader.dataset.data_root = pinpp['root']
    cfg.test_dataloader.dataset.num_classes = num_classes
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    masks = [read_part_mask(dataset.get_data_info(i)['seg_map_path']) for i in range(len(dataset))]
    labels = np.concatenate([m.ravel() for m in masks])
    labels = labels[labels != 65535]
    parts_present = len(np.unique(labels[labels > 0]))
    assert parts_present > 0
    expected = 100 * (labels == 0).mean() / (1 + parts_present)
    assert metric(log, 'mIoU') == pytest.approx(expected, abs=0.006)  # the log rounds to 2 decimals


def test_mpm_head_trains_as_a_decode_head_on_partimagenet_with_the_background_first(partimagenet, tmp_path):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(CONFIGS, 'mpm-head_r18_tiny_partimagenet.py'))
    use_data_root(cfg, partimagenet)
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
    assert dataset.metainfo['classes'][0] == 'Background' and len(dataset.metainfo['classes']) == 41
    assert dataset.label_map == {PARTIMAGENET_BACKGROUND: 0, **{p: p + 1 for p in range(40)}}
    results = dataset[0]
    png = np.asarray(Image.open(dataset.get_data_info(0)['seg_map_path']))
    mask = results['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(mask, np.where(png == PARTIMAGENET_BACKGROUND, 0, png.astype(np.int64) + 1))

    cfg.work_dir = str(tmp_path)
    Runner.from_cfg(cfg).train()
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'loss_part_s0' in log and 0 <= metric(log, 'mIoU') <= 100


def test_mpm_keys_are_converted_under_any_prefix():
    state = {'backbone.conv.weight': 1, 'part_head.conv.weight': 2, 'head.fc.weight': 3}
    assert MPMBypassSegmentor.convert_mpm_keys(dict(state)) == {'backbone.conv.weight': 1,
                                                                'decode_head.conv.weight': 2}
    nested = {f'seg.{key}': value for key, value in state.items()}
    assert MPMBypassSegmentor.convert_mpm_keys(nested, 'seg.') == {'seg.backbone.conv.weight': 1,
                                                                   'seg.decode_head.conv.weight': 2}
    register_all_modules()
    cfg = Config.fromfile(BYPASS)
    with DefaultScope.overwrite_default_scope('mmpart'):
        segmentor = MODELS.build(cfg.model)
    mpm_state = {('part_head.' + k[len('decode_head.'):] if k.startswith('decode_head.') else k): v
                 for k, v in segmentor.state_dict().items()}
    wrapper = torch.nn.ModuleDict(dict(seg=segmentor))  # the segmentor as a submodule: its keys get a prefix
    wrapper.load_state_dict({f'seg.{k}': torch.zeros_like(v) for k, v in mpm_state.items()}, strict=True)
    assert all((v == 0).all() for v in segmentor.state_dict().values())
