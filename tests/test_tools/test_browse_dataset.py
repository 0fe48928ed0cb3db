"""tools/visualization/browse_dataset.py draws samples after the pipeline for the PIN++ classification, mmseg and
COCO views; the drawn parts are the sample's mask, in its parts' colours."""
import inspect
import os.path as osp
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from PIL import Image

from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules
from mmpart.visualization import part_colour, readable_class_names, sample_figure, upscale_factor, upscale_image

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools' / 'visualization' / 'browse_dataset.py')
TINY = REPO / 'tests' / 'test_partseg' / 'configs'


NUM_PARTS = 21  # the session's synthetic set: 6 classes


def class_count(split: str, dataset_type: str, num_classes: int) -> list:
    """The dataset's ``num_classes`` option where the PIN++ datasets check it against part_ids.json (their
    default is the full PIN++ count); nothing where they do not take it."""
    register_all_modules()
    accepted = inspect.signature(DATASETS.get(dataset_type).__init__).parameters
    return [f'{split}_dataloader.dataset.num_classes={num_classes}'] if 'num_classes' in accepted else []


def views(root: Path) -> dict:
    converted = f'{root}/converted/'
    return dict(
        classification=(str(REPO / 'configs' / 'mpm' / 'mpm_r18_synthetic.py'), 'train',
                        [f'train_dataloader.dataset.data_root={root}/']),
        segmentation=(str(TINY / 'fpn_r18_tiny_pinpp.py'), 'train',
                      [f'train_dataloader.dataset.data_root={converted}',
                       *class_count('train', 'PINPPSegDataset', NUM_PARTS + 1)]),
        instances=(str(TINY / 'mask-rcnn_r18_tiny_pinpp.py'), 'val',
                   [f'val_dataloader.dataset.data_root={converted}', 'val_dataloader.dataset.with_objects=False',
                    *class_count('val', 'PINPPCocoDataset', NUM_PARTS)]))


@pytest.mark.parametrize('view', ['classification', 'segmentation', 'instances'])
def test_draws_the_first_samples_of_each_view(view, synthetic_pinpp, tmp_path, monkeypatch):
    config, phase, options = views(synthetic_pinpp)[view]
    monkeypatch.setattr(sys, 'argv', [TOOL, config, '--phase', phase, '--show-number', '2', '--output-dir',
                                      str(tmp_path), '--cfg-options', *options])
    runpy.run_path(TOOL, run_name='__main__')
    pngs = sorted(tmp_path.glob('*.png'))
    assert [p.name[:5] for p in pngs] == ['0000_', '0001_']
    picture = np.asarray(Image.open(pngs[0]))
    assert picture.shape[0] > 384 and picture.shape[1] > 384 + 100  # upscaled sample, legend beside


def test_classification_sample_shows_its_part_mask_in_the_part_colours(synthetic_pinpp):
    config, phase, options = views(synthetic_pinpp)['classification']
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in (o.split('=', 1) for o in options)})
    cfg.train_pipeline[2] = dict(type='JointResizeEdge', scale=64, edge='short')  # deterministic geometry
    cfg.train_dataloader.dataset.pipeline = [s for s in cfg.train_pipeline if s['type'] != 'RandomFlip']
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    index = next(i for i in range(len(dataset)) if dataset.get_data_info(i)['seg_map_path'])
    packed = dataset[index]
    mask = packed['data_samples'].gt_sem_seg.data[0].numpy()
    picture = sample_figure(packed, dataset.metainfo, alpha=0.6)
    factor = upscale_factor(*mask.shape)
    side = mask.shape[0] * factor
    panel = picture[picture.shape[0] - side:, :mask.shape[1] * factor].astype(float)
    image = upscale_image(packed['inputs'].permute(1, 2, 0).numpy()[..., ::-1].copy(), factor).astype(float)
    big_mask = np.repeat(np.repeat(mask, factor, 0), factor, 1)
    ids = [i for i in np.unique(mask) if i > 0]
    assert ids
    for part_id in ids:
        where = big_mask == part_id
        expected = 0.4 * image[where] + 0.6 * np.array(part_colour(part_id))
        assert np.abs(panel[where] - expected).mean() < 1.5
    assert np.abs(panel[big_mask == 0] - image[big_mask == 0]).max() <= 1  # background untouched


def test_part_names_read_with_object_names():
    names = readable_class_names(['background', 'n1:head', 'n2', 'n3:tail'], {'n1': 'dog', 'n2': 'car'})
    assert names == ['background', 'dog: head', 'car', 'n3:tail']


def test_an_output_or_a_window_is_required(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [TOOL, osp.join(REPO, 'configs', 'mpm', 'mpm_r18_synthetic.py')])
    with pytest.raises(SystemExit):
        runpy.run_path(TOOL, run_name='__main__')
    assert '--output-dir and/or --show' in capsys.readouterr().err
