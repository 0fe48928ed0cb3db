"""tools/analysis_tools/part_discovery.py: two backbones on the same images, tables, JSON and pictures."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmpart.analysis.part_discovery_report import part_discovery_report
from mmpart.datasets.converters.synthetic_partimagenet import make_synthetic_partimagenet
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).parents[2]
BASELINE = 'configs/fewshot/meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'
MPM = 'configs/fewshot/mpm-meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'


def random_checkpoint(config: str, path: Path, seed: int) -> str:
    register_all_modules()
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(str(REPO / config)).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('part_discovery')
    summary = make_synthetic_partimagenet(str(root / 'data'), num_classes=(2, 1, 1), images_per_class=3,
                                          image_size=32)
    return dict(root=root, summary=summary, baseline=random_checkpoint(BASELINE, root / 'baseline.pth', 0),
                mpm=random_checkpoint(MPM, root / 'mpm.pth', 1))


def run_tool(setup, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    return subprocess.run(
        [sys.executable, 'tools/analysis_tools/part_discovery.py', '--model', 'baseline', BASELINE, setup['baseline'],
         '--model', 'mpm', MPM, setup['mpm'], '--k', '3', '--img-size', '48', '--stage', '2', '--num-images', '2',
         '--num-vis', '1', '--cfg-options', f'train_dataloader.dataset.data_root={setup["root"]}/data/', *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_compares_backbones_on_the_same_images(setup):
    out_dir = setup['root'] / 'out'
    wnid = setup['summary']['splits']['train'][1]
    proc = run_tool(setup, '--dataset-config', MPM, '--wnid', wnid, '--out-dir', str(out_dir))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out_dir / 'part_discovery.json').read_text())
    assert summary['num_parts'] == 3 and summary['stage'] == 2 and list(summary['models']) == ['baseline', 'mpm']
    for name in ('baseline', 'mpm'):
        scores = summary['models'][name]['classes'][wnid]
        assert scores['images'] == 2 and scores['pixels'] > 0
        assert 0 <= scores['matched_miou'] <= 100 and -100 <= scores['ari'] <= 100
        assert summary['models'][name]['mean']['nmi'] == scores['nmi']
        assert len(list((out_dir / 'vis' / name / wnid).glob('*.png'))) == 1
    table = (out_dir / 'part_discovery.md').read_text()
    assert 'Part discovery, mean over classes' in table and table in proc.stdout + '\n'
    # two differently initialised backbones give different factors on the same pixels
    assert summary['models']['baseline']['classes'][wnid] != summary['models']['mpm']['classes'][wnid]


def test_a_dataset_without_part_masks_or_an_unknown_class_is_refused(setup):
    models = [('baseline', BASELINE, setup['baseline'])]
    options = {'train_dataloader.dataset.data_root': f'{setup["root"]}/data/'}
    with pytest.raises(ValueError, match='meta-baseline_resnet12-tiny.*: the train pipeline loads no part mask'):
        part_discovery_report(models, str(setup['root'] / 'refused'), cfg_options=options)
    with pytest.raises(ValueError, match="'n123' is not a class of the train dataset"):
        part_discovery_report(models, str(setup['root'] / 'refused'), wnids=['n123'], dataset_config=MPM,
                              cfg_options=options)
