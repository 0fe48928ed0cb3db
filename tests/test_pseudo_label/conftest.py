"""A converted synthetic PIN++ set with an unlabeled pool, and a Mask R-CNN trained on it for 2 iterations."""
import os.path as osp
import runpy
import sys

import pytest

from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TINY_DET = osp.join(REPO, 'tests', 'test_partseg', 'configs', 'mask-rcnn_r18_tiny_pinpp.py')


@pytest.fixture(scope='session')
def pinpp(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('pinpp')
    info = make_synthetic_pinpp(str(root / 'synthetic'), num_classes=3, images_per_class=6, unlabeled_per_class=4,
                                val_per_class=1, image_size=64)
    converted = str(root / 'converted')
    summary = convert_pinpp(info['paths']['pinpp'], info['paths']['imagenet_train'], converted, val_ratio=0.34,
                            with_objects=True)
    return dict(info, converted=converted, img_root=info['paths']['imagenet_train'],
                num_det_classes=summary['parts'] + summary['classes'])


def det_cfg_options(pinpp: dict) -> list:
    """``--cfg-options`` of the tiny detector on the synthetic set: data, classes, every detection kept."""
    root, n = pinpp['converted'] + '/', pinpp['num_det_classes']
    ann = root + 'coco/pinpp_parts_val.json'
    return [f'train_dataloader.dataset.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}', f'val_evaluator.ann_file={ann}',
            f'test_evaluator.ann_file={ann}', f'train_dataloader.dataset.dataset.num_classes={n}',
            f'val_dataloader.dataset.num_classes={n}', f'test_dataloader.dataset.num_classes={n}',
            f'model.roi_head.bbox_head.num_classes={n}',
            f'model.roi_head.mask_head.num_classes={n}', 'model.test_cfg.rcnn.score_thr=0.0',
            'model.test_cfg.rcnn.max_per_img=10']


def run_tool(tool: str, *args: str) -> None:
    """Run ``tools/<tool>`` in this process (saves the start-up of a new one)."""
    argv = sys.argv
    sys.argv = [osp.join(REPO, 'tools', tool), *args]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    finally:
        sys.argv = argv


@pytest.fixture(scope='session')
def tiny_detector(pinpp, tmp_path_factory) -> str:
    """Checkpoint of the tiny detector after 2 training iterations (through tools/train.py)."""
    work_dir = tmp_path_factory.mktemp('det')
    run_tool('train.py', TINY_DET, '--work-dir', str(work_dir), '--no-validate', '--cfg-options',
             *det_cfg_options(pinpp))
    return str(work_dir / 'iter_2.pth')
