"""tools/train.py --amp, --resume [CKPT], --auto-scale-lr, --no-validate, and tools/slurm_train.sh (a fake srun
starting two tasks), on the hand-set classifier trained adversarially for one or two tiny epochs."""
import argparse
import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmpart.utils import safe_load_checkpoint
from mmpart.utils.run_config import apply_train_args

from ..ports import free_port
from ..test_engine.hand_set_classifier import hand_set_config, make_margin_data
from ..test_engine.tiny_classifier import one_thread

REPO = Path(__file__).parents[2]
BATCH, LR, BASE_BATCH = 4, 0.1, 16
ITERS_PER_EPOCH = 4  # 14 images, batch 4, last batch kept


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def train_config(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp('train_args')
    data_root = make_margin_data(root / 'data')
    base = root / 'hand_set.py'
    hand_set_config(data_root).dump(str(base))
    config = root / 'hand_set_adv_train.py'
    config.write_text(f'''_base_ = {str(base)!r}
model = dict(type='AdvImageClassifier', attack=dict(type='PGD', eps=4, steps=2, step_size=4))
train_dataloader = dict(batch_size={BATCH}, num_workers=0, persistent_workers=False,
    dataset=dict(type='CustomDataset', data_root={data_root!r}, data_prefix='val',
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict(type='AdversarialValLoop', attack=dict(type='PGD', eps=4, steps=2))
val_evaluator = dict(type='RobustAccuracy')
optim_wrapper = dict(optimizer=dict(type='SGD', lr={LR}))
auto_scale_lr = dict(base_batch_size={BASE_BATCH})
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
''')
    return str(config)


def train(monkeypatch, config: str, work_dir: Path, *args: str) -> None:
    """``tools/train.py CONFIG --work-dir WORK_DIR ARGS`` in this process."""
    monkeypatch.setattr(sys, 'argv', ['tools/train.py', config, '--work-dir', str(work_dir), *args])
    runpy.run_path(str(REPO / 'tools' / 'train.py'), run_name='__main__')


def lr_of(checkpoint: Path) -> float:
    return safe_load_checkpoint(str(checkpoint))['optimizer']['param_groups'][0]['lr']


def train_args(**kwargs) -> argparse.Namespace:
    return argparse.Namespace(**{**dict(config='cfg.py', amp=False, resume=None, auto_scale_lr=False,
                                        no_validate=False), **kwargs})


def test_train_args_change_the_config():
    def cfg():
        return Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
                           auto_scale_lr=dict(base_batch_size=8), val_cfg=dict(), val_dataloader=dict(),
                           val_evaluator=dict()))

    amp = apply_train_args(cfg(), train_args(amp=True))
    assert amp.optim_wrapper == dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=dict(type='SGD', lr=0.1))
    given = cfg()
    given.optim_wrapper.loss_scale = 512.0
    assert apply_train_args(given, train_args(amp=True)).optim_wrapper.loss_scale == 512.0
    resumed = apply_train_args(cfg(), train_args(resume='a/epoch_3.pth'))
    assert (resumed.resume, resumed.load_from) == (True, 'a/epoch_3.pth')
    latest = apply_train_args(cfg(), train_args(resume='auto'))
    assert (latest.resume, latest.load_from) == (True, None)
    assert apply_train_args(cfg(), train_args(auto_scale_lr=True)).auto_scale_lr == dict(base_batch_size=8, enable=True)
    assert apply_train_args(cfg(), train_args(no_validate=True)).val_cfg is None
    plain = apply_train_args(cfg(), train_args())
    assert 'type' not in plain.optim_wrapper and 'resume' not in plain and 'enable' not in plain.auto_scale_lr
    with pytest.raises(ValueError, match=r'cfg.py: --auto-scale-lr needs auto_scale_lr = dict\(base_batch_size=N\)'):
        apply_train_args(Config(dict(optim_wrapper=dict())), train_args(auto_scale_lr=True))


def test_resume_from_a_given_checkpoint_and_auto_scale_lr(train_config, monkeypatch, tmp_path):
    train(monkeypatch, train_config, tmp_path / 'first')
    first = safe_load_checkpoint(str(tmp_path / 'first' / 'epoch_1.pth'))
    assert (first['meta']['epoch'], first['meta']['iter']) == (1, ITERS_PER_EPOCH)
    assert lr_of(tmp_path / 'first' / 'epoch_1.pth') == LR

    # another work dir, resumed from the first run's checkpoint: epoch 2 continues epoch 1
    train(monkeypatch, train_config, tmp_path / 'second', '--resume', str(tmp_path / 'first' / 'epoch_1.pth'),
          '--cfg-options', 'train_cfg.max_epochs=2')
    assert sorted(p.name for p in (tmp_path / 'second').glob('*.pth')) == ['epoch_2.pth']
    second = safe_load_checkpoint(str(tmp_path / 'second' / 'epoch_2.pth'))
    assert (second['meta']['epoch'], second['meta']['iter']) == (2, 2 * ITERS_PER_EPOCH)
    assert not torch.equal(second['state_dict']['head.fc.weight'], first['state_dict']['head.fc.weight'])

    # --resume without CKPT: the latest checkpoint of the work dir
    train(monkeypatch, train_config, tmp_path / 'second', '--resume', '--cfg-options', 'train_cfg.max_epochs=3')
    assert safe_load_checkpoint(str(tmp_path / 'second' / 'epoch_3.pth'))['meta']['iter'] == 3 * ITERS_PER_EPOCH

    # the learning rate is meant for a batch of 16: this run's batch of 4 gets a quarter
    train(monkeypatch, train_config, tmp_path / 'scaled', '--auto-scale-lr', '--no-validate')
    assert lr_of(tmp_path / 'scaled' / 'epoch_1.pth') == pytest.approx(LR * BATCH / BASE_BATCH)


def test_amp_trains_with_the_amp_optimizer_wrapper(train_config, monkeypatch, tmp_path):
    # mmengine's AmpOptimWrapper refuses to be built without an accelerator; with that check passed, on a CPU
    # it trains under bfloat16 autocast (its GradScaler disabled), the attack inside that autocast
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)
    seen = []
    from mmpart.attacks import gradients
    fp16 = gradients.fp16_autocast
    monkeypatch.setattr(gradients, 'fp16_autocast', lambda device: seen.append(torch.is_autocast_enabled(device))
                        or fp16(device))
    train(monkeypatch, train_config, tmp_path, '--amp', '--no-validate')
    checkpoint = safe_load_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert 'loss_scaler' in checkpoint['optimizer']  # AmpOptimWrapper's state
    assert seen and all(seen)  # every attack gradient was taken under autocast


FAKE_SRUN = '''#!/usr/bin/env bash
# a fake srun: records its arguments, then starts --ntasks copies of the command with SLURM's variables
echo "$@" > "$SRUN_LOG"
ntasks=1; per_node=1
while [[ "$1" == -* ]]; do
  case "$1" in
    --ntasks=*) ntasks=${1#*=} ;;
    --ntasks-per-node=*) per_node=${1#*=} ;;
    -p) shift ;;
  esac
  shift
done
for ((rank = 0; rank < ntasks; rank++)); do
  SLURM_PROCID=$rank SLURM_NTASKS=$ntasks SLURM_NTASKS_PER_NODE=$per_node SLURM_NODELIST=node[01] "$@" &
done
status=0
for job in $(jobs -p); do wait "$job" || status=1; done
exit $status
'''
FAKE_SCONTROL = '#!/usr/bin/env bash\necho "$@" >> "$SRUN_LOG.scontrol"\necho 127.0.0.1\n'


def test_slurm_train_runs_two_tasks(train_config, tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
    log = tmp_path / 'srun.log'
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}', PYTHON=sys.executable, GPUS='2',
               GPUS_PER_NODE='2', CPUS_PER_TASK='1', SRUN_LOG=str(log), MASTER_PORT=str(free_port()),
               OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    env.pop('MASTER_ADDR', None)
    proc = subprocess.run(['bash', 'tools/slurm_train.sh', 'debug', 'mpm', train_config, str(tmp_path / 'work'),
                           '--no-validate'], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    srun_args = log.read_text().split()
    for expected in ('-p', 'debug', '--job-name=mpm', '--gres=gpu:2', '--ntasks=2', '--ntasks-per-node=2',
                     '--cpus-per-task=1', '--kill-on-bad-exit=1', '--launcher=slurm', train_config,
                     f'--work-dir={tmp_path / "work"}', '--no-validate'):
        assert expected in srun_args, expected
    assert Path(f'{log}.scontrol').read_text().split() == ['show', 'hostname', 'node[01]'] * 2  # MASTER_ADDR, per task
    checkpoint = safe_load_checkpoint(str(tmp_path / 'work' / 'epoch_1.pth'))
    assert checkpoint['meta']['iter'] == 2  # two tasks share the epoch: 7 images each, batch 4
