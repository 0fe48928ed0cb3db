"""Fixtures shared by the toolbox tests: one short MPM run on the synthetic set, logged to TensorBoard too."""
import os.path as osp
import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MPM_SYNTHETIC = REPO / 'configs' / 'mpm' / 'mpm_r18_synthetic.py'


def short_run_options(root: Path) -> list:
    """``--cfg-options`` that shrink the synthetic MPM recipe to 2 epochs of 2 iterations (PGD-2 training,
    PGD-2 validation after each epoch) on the session's synthetic set."""
    return [f'train_dataloader.dataset.data_root={root}/', f'val_dataloader.dataset.data_root={root}/imagenet/',
            f'test_dataloader.dataset.data_root={root}/imagenet/', 'train_dataloader.dataset.indices=16',
            'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
            'test_dataloader.num_workers=0', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=1',
            'val_cfg.attack.steps=2', 'default_hooks.logger.interval=1', 'log_level=WARNING']


@pytest.fixture(scope='session')
def mpm_run(synthetic_pinpp, tmp_path_factory):
    """A 2-epoch MPM run through ``tools/train.py`` with the TensorBoard backend added the documented way
    (a config that inherits the recipe and overrides ``visualizer``); returns its config, work dir and
    last checkpoint."""
    root = tmp_path_factory.mktemp('mpm_run')
    config = root / 'mpm_tensorboard.py'
    config.write_text(f"_base_ = ['{MPM_SYNTHETIC}']\n"
                      "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
                      "dict(type='TensorboardVisBackend')])\n")
    work_dir = root / 'work_dir'
    tool = str(REPO / 'tools' / 'train.py')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [tool, str(config), '--work-dir', str(work_dir), '--cfg-options',
                                    *short_run_options(synthetic_pinpp)])
        runpy.run_path(tool, run_name='__main__')
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    assert osp.isfile(checkpoint)
    return dict(config=str(config), work_dir=work_dir, checkpoint=checkpoint, data=synthetic_pinpp)

