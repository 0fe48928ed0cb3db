"""TrainingAttackStateHook under 2-process DDP (gloo, CPU): the states of both processes reach the checkpoint that
only the main process writes, exactly when the CheckpointHook saves, and each process gets its own back."""
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.hooks import CheckpointHook

from mmpart.attacks import FreePerturbation
from mmpart.engine.hooks import TrainingAttackStateHook

from ..ports import free_port


def _fake_runner(rank: int, epoch: int) -> SimpleNamespace:
    """What the hooks read of a runner: a model with a free-AT perturbation of this process's own value, a
    checkpoint every 2 epochs of 3."""
    attack = FreePerturbation(eps=4)
    attack.delta = torch.full((2, 3, 4, 4), float(rank + 1))
    return SimpleNamespace(model=SimpleNamespace(attack=attack), hooks=[CheckpointHook(interval=2, by_epoch=True)],
                           epoch=epoch, iter=10 * (epoch + 1), max_epochs=3, _resume=True)


def _worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        hook, saved = TrainingAttackStateHook(), {}
        for epoch in (0, 1):  # epoch 1 (the 2nd) saves, epoch 0 does not
            runner = _fake_runner(rank, epoch)
            hook.after_train_epoch(runner)
            if rank == 0:
                checkpoint = {}
                hook.before_save_checkpoint(runner, checkpoint)
                saved[epoch] = checkpoint
        if rank == 0:
            torch.save(saved, out)
        dist.barrier()
        resumed = _fake_runner(rank, 0)
        resumed.model.attack.delta = None
        hook.after_load_checkpoint(resumed, torch.load(out)[1])
        torch.save(resumed.model.attack.delta, f'{out}.rank{rank}')
    finally:
        dist.destroy_process_group()


def test_both_processes_states_are_saved_and_each_gets_its_own_back(tmp_path: Path):
    out = str(tmp_path / 'checkpoints.pth')
    mp.start_processes(_worker, args=(free_port(), out), nprocs=2, join=True, start_method='fork')
    saved = torch.load(out)
    assert saved[0] == {}  # no checkpoint due after the first epoch: nothing gathered
    states = saved[1]['training_attack_state']
    assert [float(state['delta'].unique()) for state in states] == [1.0, 2.0]
    for rank in (0, 1):
        torch.testing.assert_close(torch.load(f'{out}.rank{rank}'), torch.full((2, 3, 4, 4), float(rank + 1)))
