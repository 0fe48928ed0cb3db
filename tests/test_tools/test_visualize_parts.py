"""tools/analysis_tools/visualize_parts.py draws GT | prediction | legend PNGs for segmentors, detectors and MPM
bypasses."""
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import save_checkpoint
from PIL import Image

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules
from mmpart.visualization import part_model_kind, upscale_factor, upscale_image

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'visualize_parts.py')
TINY = osp.join(REPO, 'tests', 'test_partseg', 'configs')
NUM_PARTS = 21  # the session's synthetic set: 6 classes


def cases(root: str) -> dict:
    converted = osp.join(root, 'converted') + '/'
    return dict(
        segmentor=(osp.join(TINY, 'fpn_r18_tiny_pinpp.py'), 'test',
                   [f'test_dataloader.dataset.data_root={converted}',
                    f'test_dataloader.dataset.num_classes={NUM_PARTS + 1}',
                    f'model.decode_head.num_classes={NUM_PARTS + 1}']),
        detector=(osp.join(TINY, 'mask-rcnn_r18_tiny_pinpp.py'), 'test',
                  [f'test_dataloader.dataset.data_root={converted}', 'test_dataloader.dataset.with_objects=False',
                   f'test_dataloader.dataset.num_classes={NUM_PARTS}',
                   f'model.roi_head.bbox_head.num_classes={NUM_PARTS}',
                   f'model.roi_head.mask_head.num_classes={NUM_PARTS}', 'model.test_cfg.rcnn.max_per_img=5']),
        bypass=(osp.join(REPO, 'configs', 'mpm', 'mpm_r18_synthetic.py'), 'train',
                [f'train_dataloader.dataset.data_root={root}/']))


@pytest.mark.parametrize('kind', ['segmentor', 'detector', 'bypass'])
def test_draws_ground_truth_beside_prediction(kind, synthetic_pinpp, tmp_path, monkeypatch):
    config, split, options = cases(str(synthetic_pinpp))[kind]
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in (o.split('=', 1) for o in options)})
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpart'):
        model = MODELS.build(cfg.model)
    assert part_model_kind(model) == kind
    checkpoint = str(tmp_path / 'model.pth')
    save_checkpoint(model.state_dict(), checkpoint)

    out = tmp_path / 'vis'
    monkeypatch.setattr(sys, 'argv', [TOOL, config, checkpoint, '--out-dir', str(out), '--num', '2', '--split', split,
                                      '--score-thr', '0', '--cfg-options', *options])
    runpy.run_path(TOOL, run_name='__main__')
    pngs = sorted(out.glob('*.png'))
    assert len(pngs) == 2
    drawn = np.asarray(Image.open(pngs[0]).convert('RGB'))
    factor = upscale_factor(64, 64)
    side = 64 * factor  # 64 px images (and 64 px crops for the bypass), upscaled
    assert drawn.shape[0] > side and drawn.shape[1] > 2 * side  # GT | prediction | legend
    gt_panel = drawn[drawn.shape[0] - side:, :side].astype(int)
    if kind != 'bypass':  # drawn on the original image; the GT panel carries the part masks (names: legend)
        wnid = pngs[0].stem.split('_')[0]
        original = np.asarray(Image.open(osp.join(synthetic_pinpp, 'converted', 'img', wnid,
                                                  pngs[0].stem + '.JPEG')).convert('RGB'))
        assert np.abs(gt_panel - upscale_image(original, factor)).mean() > 5

def test_a_model_without_parts_is_refused():
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmpart'):
        classifier = MODELS.build(Config.fromfile(osp.join(REPO, 'tests', 'data', 'configs',
                                                           'scope_mmpretrain.py')).model)
    with pytest.raises(TypeError, match='predicts no parts'):
        part_model_kind(classifier)
