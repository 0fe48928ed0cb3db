"""PDiscoNet's all-pixel protocol: NMI / ARI of hand-made label maps computed by hand, DFF's background and factor
scaling on hand-made heat maps, the image list, and the tool end to end on synthetic PartImageNet."""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmpart.analysis.part_discovery import assign_parts, border_factor, dff_part_map, pdisco_scores
from mmpart.analysis.part_discovery_pdisco import pdisco_report, read_image_list
from mmpart.datasets.converters.synthetic_partimagenet import make_synthetic_partimagenet
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).parents[2]


def entropy(*probabilities: float) -> float:
    return -sum(p * math.log(p) for p in probabilities)


def test_nmi_and_ari_over_all_pixels_by_hand():
    # two images; GT background 0 and part 5; the ignore index is left out; 6 scored pixels:
    # GT a a a b b b / discovered x x y y y y  (a = 0 background, b = 5; x = 0 background, y = 2)
    gt = [np.array([[0, 0], [0, 65535]]), np.array([[5, 5, 5]])]
    discovered = [np.array([[0, 0], [2, 1]]), np.array([[2, 2, 2]])]
    scores = pdisco_scores(discovered, gt)
    assert scores['images'] == 2 and scores['pixels'] == 6
    # contingency (a,x) 2, (a,y) 1, (b,y) 3 of 6
    mi = 2 / 6 * math.log((2 / 6) / (1 / 2 * 2 / 6)) + 1 / 6 * math.log((1 / 6) / (1 / 2 * 4 / 6)) \
        + 3 / 6 * math.log((3 / 6) / (1 / 2 * 4 / 6))
    nmi = mi / ((entropy(1 / 2, 1 / 2) + entropy(2 / 6, 4 / 6)) / 2)  # arithmetic mean, scikit-learn's default
    # ARI: sum over cells C(n_ij, 2) = 1 + 0 + 3; rows C(3,2) + C(3,2) = 6; columns C(2,2) + C(4,2) = 7; C(6,2) = 15
    expected_index = 6 * 7 / 15
    ari = (4 - expected_index) / ((6 + 7) / 2 - expected_index)
    assert scores['nmi'] == pytest.approx(100 * nmi) and scores['ari'] == pytest.approx(100 * ari)


def test_background_is_a_class_of_its_own():
    gt = [np.array([[0, 0, 3, 3]])]
    # a perfect relabelling, background included, is 100; merging the background into a part is not
    assert pdisco_scores([np.array([[7, 7, 1, 1]])], gt) == pytest.approx(dict(nmi=100, ari=100, images=1, pixels=4))
    assert pdisco_scores([np.array([[1, 1, 1, 1]])], gt)['nmi'] == pytest.approx(0)


def test_pdisco_scores_checks_its_input():
    with pytest.raises(ValueError, match='1 discovered maps for 2 GT masks'):
        pdisco_scores([np.zeros((2, 2))], [np.zeros((2, 2))] * 2)
    with pytest.raises(ValueError, match=r'a discovered map of shape \(2, 2\) for a GT mask of \(2, 3\)'):
        pdisco_scores([np.zeros((2, 2))], [np.zeros((2, 3))])


# three pixels, two factors: raw argmax 0 0 1; each factor divided by its image maximum: 0 1 1 (pixel 0 ties -> 0)
HEATMAPS = np.array([[[4., 2., 0.]], [[1., 1., 0.5]]])  # k x h x w = 2 x 1 x 3


def test_factor_scaling_before_the_argmax():
    np.testing.assert_array_equal(assign_parts(HEATMAPS, (1, 3)), [[0, 0, 1]])
    np.testing.assert_array_equal(assign_parts(HEATMAPS, (1, 3), 'image_max'), [[0, 1, 1]])
    with pytest.raises(ValueError, match='factor_norm must be one of'):
        assign_parts(HEATMAPS, (1, 3), 'sum')


def test_dff_backgrounds():
    # total weights 5, 3, 0.5: below 0.2 x 5 = 1 only the last pixel is background (0); parts are 1..k
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'image_max', 'threshold', 0.2), [[1, 2, 0]])
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'none', 'threshold', 0.2), [[1, 1, 0]])
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'image_max', 'threshold', 0.7), [[1, 0, 0]])
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'image_max', 'none'), [[1, 2, 2]])
    # an extra factor as the background: the others renumbered 1..k-1
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'image_max', 'factor', background_factor=0),
                                  [[0, 1, 1]])
    np.testing.assert_array_equal(dff_part_map(HEATMAPS, (1, 3), 'none', 'factor', background_factor=1),
                                  [[1, 1, 0]])
    with pytest.raises(ValueError, match="needs background_factor"):
        dff_part_map(HEATMAPS, (1, 3), 'none', 'factor')
    with pytest.raises(ValueError, match='background must be one of'):
        dff_part_map(HEATMAPS, (1, 3), 'none', 'learned')


def test_the_background_factor_is_the_one_strongest_on_the_borders():
    heatmaps = np.zeros((2, 3, 4, 4))
    heatmaps[:, 1] = 1.0
    heatmaps[:, 1, 1:3, 1:3] = 0.0  # factor 1 everywhere but the centre
    heatmaps[:, 2, 1:3, 1:3] = 5.0  # factor 2 strong in the centre only
    heatmaps[:, 0] = 0.2
    assert border_factor(heatmaps) == 1


def test_image_lists(tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('0\t0\t16\tn01\tn01_1.JPEG\n1\t1\t16\tn01\tn01_2.JPEG\n2\t1\t3\tn02\tn02_9.JPEG\n')
    assert read_image_list(str(split)) == {'n01_2.JPEG', 'n02_9.JPEG'}
    plain = tmp_path / 'list.txt'
    plain.write_text('a/b/n01_1.JPEG\n\nn02_3.JPEG\n')
    assert read_image_list(str(plain)) == {'n01_1.JPEG', 'n02_3.JPEG'}
    bad = tmp_path / 'bad.txt'
    bad.write_text('0\tyes\t16\tn01\tn01_1.JPEG\n')
    with pytest.raises(ValueError, match=r'bad.txt:1: the second column of a split file is 0 or 1'):
        read_image_list(str(bad))
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='no image name'):
        read_image_list(str(tmp_path / 'empty.txt'))


# --- the tool ------------------------------------------------------------------------------------------------------

CONFIG = 'configs/fewshot/mpm-meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('pdisco')
    make_synthetic_partimagenet(str(root / 'data'), num_classes=(2, 1, 1), images_per_class=3, image_size=32)
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(REPO / CONFIG)).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), root / 'model.pth')
    return root


def run_tool(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    return subprocess.run(
        [sys.executable, 'tools/analysis_tools/part_discovery.py', '--model', 'mpm', CONFIG, str(root / 'model.pth'),
         '--img-size', '40', '--stage', '2', '--num-vis', '1', '--cfg-options',
         f'train_dataloader.dataset.data_root={root}/data/', *args], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=600)


def test_pdisco_protocol_end_to_end(synthetic, tmp_path):
    images = sorted(p.name for p in (synthetic / 'data' / 'train').rglob('*.JPEG'))[:4]
    (tmp_path / 'list.txt').write_text('\n'.join(images))
    out = tmp_path / 'out'
    proc = run_tool(synthetic, '--protocol', 'pdisco', '--k', '2', '3', '--image-list', str(tmp_path / 'list.txt'),
                    '--out-dir', str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / 'part_discovery_pdisco.json').read_text())
    assert summary['protocol'] == 'pdisco' and summary['ks'] == [2, 3] and summary['images'] == 4
    assert summary['background'] == 'threshold' and summary['factor_norm'] == 'image_max'
    for k in ('2', '3'):
        scores = summary['models']['mpm']['k'][k]
        assert scores['images'] == 4 and scores['pixels'] == 4 * 40 * 40  # centre crops, every pixel scored
        assert 0 <= scores['nmi'] <= 100 and -100 <= scores['ari'] <= 100
    table = (out / 'part_discovery_pdisco.md').read_text()
    assert 'background: pixels whose total factor weight is below 0.2 x the image maximum' in table
    assert "factors scaled 'image_max'" in table and '| mpm | 3 |' in table and table in proc.stdout + '\n'
    assert len(list((out / 'vis' / 'mpm' / 'k3').glob('*.png'))) == 1


def test_pdisco_report_with_an_extra_background_factor(synthetic, tmp_path):
    summary = pdisco_report([('mpm', CONFIG, str(synthetic / 'model.pth'))], str(tmp_path), ks=(2, ), num_images=1,
                            img_size=40, stage=2, background='factor', factor_norm='none', num_vis=0,
                            cfg_options={'train_dataloader.dataset.data_root': f'{synthetic}/data/'})
    assert summary['images'] == 2 and summary['background'] == 'factor'  # one image of each of the 2 classes
    assert 'one extra NMF factor, the strongest on the image borders' in summary['settings']
    assert summary['models']['mpm']['k']['2']['pixels'] == 2 * 40 * 40
    with pytest.raises(ValueError, match='background must be one of'):
        pdisco_report([('mpm', CONFIG, str(synthetic / 'model.pth'))], str(tmp_path), background='learned')


def test_the_foreground_protocol_takes_one_k(monkeypatch):
    spec = importlib.util.spec_from_file_location('tool', REPO / 'tools/analysis_tools/part_discovery.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['part_discovery.py', 'c.py', 'm.pth', '--k', '2', '3', '--out-dir', 'o'])
    with pytest.raises(SystemExit):
        tool.parse_args()
    monkeypatch.setattr(sys, 'argv', ['part_discovery.py', 'c.py', 'm.pth', '--k', '2', '3', '--out-dir', 'o',
                                      '--protocol', 'pdisco'])
    args = tool.parse_args()
    assert args.k == [2, 3] and args.factor_norm is None and args.background == 'threshold'
