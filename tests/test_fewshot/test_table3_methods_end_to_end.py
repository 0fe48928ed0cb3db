"""MAML, ConstellationNet and COMPAS through mmengine's Runner: their synthetic configs train for one step on episodes
of the synthetic PartImageNet split, save a checkpoint and meta-test on a few episodes of the test classes."""
import json

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpart.utils import register_all_modules

# the configs `make demo-benchmarks` runs, shrunk to one training step and 4 validation / test episodes of the
# 8-image classes (mmengine validates after the last epoch)
CONFIGS = {
    'maml': ('configs/fewshot/maml_conv4-tiny_1xb40-4e_synthetic-5way1shot.py', {
        'train_dataloader.sampler.num_episodes': 2}),
    'constellationnet': ('configs/fewshot/constellationnet_resnet12-tiny_1xb46-3e_synthetic.py', {
        'train_dataloader.sampler.num_iterations': 1}),
    'compas': ('configs/fewshot/compas_resnet12-tiny_1xb50-2e_synthetic-5way5shot.py', {
        'model.backbone.init_cfg': None, 'model.head.num_shots': 2, 'model.head.num_queries': 2,
        'train_dataloader.batch_size': 20, 'train_dataloader.sampler.num_shots': 2,
        'train_dataloader.sampler.num_queries': 2, 'train_dataloader.sampler.num_episodes': 1}),
}


@pytest.mark.parametrize('method', sorted(CONFIGS))
def test_one_training_step_then_a_meta_test(method, synthetic_ood, tmp_path):
    register_all_modules()
    config, options = CONFIGS[method]
    cfg = Config.fromfile(config)
    root = f'{synthetic_ood["root"]}/'
    cfg.merge_from_dict({
        **{f'{split}_dataloader.{key}': value for split in ('train', 'val', 'test')
           for key, value in (('dataset.data_root', root), ('num_workers', 0), ('persistent_workers', False))},
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 10, 'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.save_best': None, 'default_hooks.logger.interval': 1,
        **{f'{loop}_cfg.{key}': value for loop in ('val', 'test')
           for key, value in (('num_shots', (1, 2)), ('num_queries', 3), ('num_episodes', 4))}, **options})
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'epoch_1.pth').is_file()
    metrics = runner.test()
    for setting in ('5way-1shot', '5way-2shot'):
        assert metrics[f'fewshot/{setting}_episodes'] == 4
        assert 0 <= metrics[f'fewshot/{setting}_accuracy'] <= 100
    summary = json.loads(next(tmp_path.glob('*/fewshot.json')).read_text())
    assert summary['head'] == type(runner.model.head).__name__
