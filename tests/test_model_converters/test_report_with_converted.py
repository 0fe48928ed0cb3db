"""The robustness report puts a converted RobustBench model beside an MPM checkpoint in one table: both evaluated on
the same images (the report's cfg_options), their rows side by side in the markdown and the JSON."""
import json

import pytest
import torch
import torchvision

from mmpart.evaluation import report

from ..test_engine.tiny_classifier import one_thread
from .helpers import build_config_model, no_initialisers, randomise, run_converter


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread(), no_initialisers():
        yield


def test_converted_robustbench_model_beside_an_mpm(synthetic_pinpp, tmp_path):
    torch.save(randomise(torchvision.models.resnet18()).state_dict(), tmp_path / 'Salman2020Do_R18.pt')
    run_converter('robustbench_to_mmpart', [tmp_path / 'Salman2020Do_R18.pt', tmp_path / 'rb.pth',
                                            '--model', 'Salman2020Do_R18'])
    # an MPM checkpoint of the synthetic recipe (random weights: the table is under test, not the numbers)
    mpm_config = 'configs/mpm/mpm_r18_synthetic.py'
    torch.save(dict(state_dict=randomise(build_config_model(mpm_config)).state_dict(), meta={}), tmp_path / 'mpm.pth')
    wnids = sorted(p.name for p in (synthetic_pinpp / 'imagenet' / 'val').iterdir())
    # both models on the same images (the synthetic val set, labels in wnid order): the whole test dataloader of each
    # config is replaced (_delete_), since the two configs' datasets are of different types
    same_images = {'test_dataloader': dict(
        _delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='WnidFolderDataset', data_root=str(synthetic_pinpp / 'imagenet' / 'val'), ann_file='',
                     classes=wnids, pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))}
    models = [('Salman2020Do_R18', 'configs/robustbench/robustbench_salman2020do-r18.py', str(tmp_path / 'rb.pth')),
              ('mpm', mpm_config, str(tmp_path / 'mpm.pth'))]
    results = report.robustness_report(models, str(tmp_path / 'out'), eps=[2], pgd_steps=2, large_eps=None,
                                       effort=False, cfg_options=same_images)
    assert list(results) == ['Salman2020Do_R18', 'mpm']
    for metrics in results.values():
        assert 0 <= metrics['pgd2_eps2']['accuracy/robust_top1'] <= metrics['pgd2_eps2']['accuracy/top1'] <= 100
    table = (tmp_path / 'out' / 'robustness_report.md').read_text()
    assert '| model | clean | pgd2_eps2 | masking checks |' in table
    assert '| Salman2020Do_R18 |' in table and '| mpm |' in table
    written = json.loads((tmp_path / 'out' / 'robustness_report.json').read_text())
    assert written['models']['Salman2020Do_R18']['config'].endswith('robustbench_salman2020do-r18.py')
