"""The MPM bypass as an mmseg segmentor: a trained MPM checkpoint scored by tools/test.py + IoUMetric, and
MPMPartHead trained as an EncoderDecoder's decode head on PartImageNet (background first)."""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner, load_checkpoint
from PIL import Image

from mmpart.datasets.partimagenet_meta import PARTIMAGENET_BACKGROUND
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

    options = ['--cfg-options', f'test_dataloader.dataset.data_root={pinpp["root"]}',
               f'model.decode_head.num_classes={num_classes}', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False']
    log = run_tool('test.py', BYPASS, ckpt, '--work-dir', str(tmp_path / 'test'), *options)
    assert 0 <= metric(log, 'mIoU') <= 100 and 'n90000002:wing' in log  # IoUMetric's per-part table


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
