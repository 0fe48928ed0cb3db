"""Every ``--test-set`` base config (configs/_base_/datasets/imagenet_*.py) built and run, with the pipeline it
has, on a tiny fixture in its layout, by a 1000-class model that always predicts one class: every number is
known. The ImageNet-C test checks all 15 AlexNet constants through the per-corruption CE."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmpart.datasets.robustness.imagenet_meta import (
    IMAGENET_A_INDICES,
    IMAGENET_R_INDICES,
    IMAGENET_WNIDS,
    SHAPE_BIAS_CATEGORIES,
)
from mmpart.evaluation import report

from ..test_engine.hand_set_classifier import hand_set_config
from ..test_engine.tiny_classifier import one_thread

REPO = Path(__file__).parents[2]
# the class the model predicts: in ImageNet-A, ImageNet-R and a shape-bias category (bird)
PREDICTED = min(set(IMAGENET_A_INDICES) & set(IMAGENET_R_INDICES) & set(SHAPE_BIAS_CATEGORIES['bird']))
OTHER_A = next(i for i in IMAGENET_A_INDICES if i != PREDICTED)
OTHER_R = next(i for i in IMAGENET_R_INDICES if i != PREDICTED)
OTHER = 500  # in neither subset
# DESIGN §2.3: AlexNet's top-1 error per corruption, averaged over the 5 severities
ALEXNET = dict(gaussian_noise=0.886428, shot_noise=0.894468, impulse_noise=0.922640, defocus_blur=0.819880,
               glass_blur=0.826268, motion_blur=0.785948, zoom_blur=0.798360, snow=0.866816, frost=0.826572,
               fog=0.819324, brightness=0.564592, contrast=0.853204, elastic_transform=0.646056, pixelate=0.717840,
               jpeg_compression=0.606500)


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


def image(path: Path, suffix_format: str = 'JPEG') -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(path, format=suffix_format)


def folders(root: Path, names, ext: str = 'JPEG') -> None:
    for name in names:
        image(root / name / f'a.{ext}', 'PNG' if ext == 'png' else 'JPEG')


def layout_a(root):
    folders(root, [IMAGENET_WNIDS[PREDICTED], IMAGENET_WNIDS[OTHER_A]], 'jpg')


def layout_r(root):
    folders(root, [IMAGENET_WNIDS[PREDICTED], IMAGENET_WNIDS[OTHER_R]], 'jpg')


def layout_wnids(root):
    folders(root, [IMAGENET_WNIDS[PREDICTED], IMAGENET_WNIDS[OTHER]])


def layout_v2(root):
    folders(root, [str(PREDICTED), str(OTHER)], 'jpeg')


def layout_robustbench(root):
    # the shipped list's format (tests/test_datasets/test_robustbench_subset.py checks the list itself); a 2-line
    # list here, as the 5,000 files cannot be written
    listed = [f'{IMAGENET_WNIDS[PREDICTED]}/ILSVRC2012_val_00000001.JPEG',
              f'{IMAGENET_WNIDS[OTHER]}/ILSVRC2012_val_00000002.JPEG']
    for name in listed:
        image(root / 'val' / name)
    image(root / 'val' / IMAGENET_WNIDS[OTHER] / 'ILSVRC2012_val_00000003.JPEG')  # not listed
    (root / 'val' / 'ids.txt').write_text('\n'.join(listed) + '\n')


def layout_c(root):
    for corruption in ALEXNET:
        for severity in range(1, 6):
            folders(root / corruption / str(severity), [IMAGENET_WNIDS[PREDICTED], IMAGENET_WNIDS[OTHER]])


def layout_cue_conflict(root):
    for name in ('bird/bird1-cat1.png', 'bird/bird2-dog1.png', 'dog/dog1-bird1.png', 'dog/dog2-cat2.png'):
        image(root / name, 'PNG')


# config, layout, data_root below the fixture folder, dataset overrides, expected metrics
CASES = dict(
    imagenet_a=(layout_a, '', {}, {'accuracy/top1': 50.0}),
    imagenet_r=(layout_r, '', {}, {'accuracy/top1': 50.0}),
    imagenet_sketch=(layout_wnids, '', {}, {'accuracy/top1': 50.0}),
    imagenet_v2=(layout_v2, '', {}, {'accuracy/top1': 50.0}),
    imagenet_val_robustbench5k=(layout_robustbench, 'val', dict(ann_file='ids.txt'), {'accuracy/top1': 50.0}),
    imagenet_c=(layout_c, '', {}, {'imagenet_c/mean_accuracy': 50.0, 'imagenet_c/glass_blur/s5': 50.0,
                                   **{f'imagenet_c/CE/{c}': 100 * 0.5 / e for c, e in ALEXNET.items()},
                                   'imagenet_c/mCE': 100 * np.mean([0.5 / e for e in ALEXNET.values()])}),
    # two fast corruptions of the 15 (glass_blur alone takes ~10 s): the config's pipeline is what is tested
    imagenet_c_onthefly=(layout_wnids, '', dict(corruptions=['gaussian_noise', 'fog']),
                         {'imagenet_c/mean_accuracy': 50.0, 'imagenet_c/fog/s3': 50.0}),
    imagenet_cue_conflict=(layout_cue_conflict, '', {},
                           {'shape_bias/shape_bias': 2 / 3, 'shape_bias/shape_match': 50.0,
                            'shape_bias/texture_match': 25.0}),
)


@pytest.fixture(scope='module')
def constant_model(tmp_path_factory):
    """The hand-set config's model with 1000 classes and weights that always predict ``PREDICTED``."""
    root = tmp_path_factory.mktemp('test_sets')
    config = root / 'constant_1000.py'
    cfg = hand_set_config(str(root))
    cfg.model.head.num_classes = cfg.model.data_preprocessor.num_classes = 1000
    cfg.dump(str(config))
    bias = torch.zeros(1000)
    bias[PREDICTED] = 10.0
    state = {'backbone.weight': torch.zeros(1, 3, 1, 1), 'backbone.bias': torch.zeros(1),
             'head.fc.weight': torch.zeros(1000, 1), 'head.fc.bias': bias}
    torch.save(dict(state_dict=state, meta={}), root / 'constant.pth')
    return str(config), str(root / 'constant.pth')


@pytest.mark.parametrize('name', sorted(CASES))
def test_test_set_config_runs_on_its_layout(name, constant_model, tmp_path):
    layout, data_dir, dataset_options, expected = CASES[name]
    layout(tmp_path / 'data')
    base = REPO / 'configs' / '_base_' / 'datasets' / f'{name}.py'
    test_set = tmp_path / f'{name}_tiny.py'  # what a user writes: inherit the base, point it at the data
    dataset = dict(data_root=str(tmp_path / 'data' / data_dir), **dataset_options)
    test_set.write_text(f'_base_ = {str(base)!r}\n'
                        f'test_dataloader = dict(batch_size=4, num_workers=0, dataset={dataset!r})\n')
    config, checkpoint = constant_model
    metrics = report.run_evaluation(
        report.evaluation_config(config, checkpoint, str(tmp_path / 'work'), str(test_set)))['metrics']
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, rel=1e-9), key  # 1e-6 would miss a constant off by 1e-6
