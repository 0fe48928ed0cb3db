"""tools/dist_train.sh: two CPU processes (gloo) train the synthetic MPM config, checkpoint, resume."""
import math
import os
import subprocess
import sys
from pathlib import Path

from mmpart.utils import safe_load_checkpoint

from ..ports import free_port

REPO = Path(__file__).parents[2]
CONFIG = 'configs/mpm/mpm_r18_synthetic.py'
BATCH = 8


def dist_train(data_root: Path, work_dir: Path, max_epochs: int, *args: str) -> str:
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    cmd = ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir), *args, '--cfg-options',
           f'train_dataloader.dataset.data_root={data_root}/',
           f'val_dataloader.dataset.data_root={data_root}/imagenet/',
           'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0', f'train_dataloader.batch_size={BATCH}',
           'default_hooks.logger.interval=1', 'train_cfg.val_interval=1', f'train_cfg.max_epochs={max_epochs}']
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_dist_train_checkpoints_and_resumes(synthetic_pinpp, tmp_path):
    num_images = sum(1 for _ in (synthetic_pinpp / 'imagenet' / 'train').glob('*/*.JPEG'))
    iters = math.ceil(num_images / (2 * BATCH))  # two processes share each epoch

    out = dist_train(synthetic_pinpp, tmp_path, 1)
    assert 'Distributed training: True' in out
    first = safe_load_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert (first['meta']['epoch'], first['meta']['iter']) == (1, iters)
    assert 'ema_state_dict' in first and any(k.startswith('part_head.') for k in first['state_dict'])
    assert 'accuracy/robust_top1' in out  # adversarial validation ran

    out = dist_train(synthetic_pinpp, tmp_path, 2, '--resume')
    assert f'resumed epoch: 1, iter: {iters}' in out
    second = safe_load_checkpoint(str(tmp_path / 'epoch_2.pth'))
    assert (second['meta']['epoch'], second['meta']['iter']) == (2, 2 * iters)
    name = 'backbone.conv1.weight'
    assert not second['state_dict'][name].equal(first['state_dict'][name])
