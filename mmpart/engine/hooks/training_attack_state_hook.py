"""Keep a stateful training attack's state (free AT's perturbation) in checkpoints, so a resumed run continues it."""
import warnings
from typing import List, Optional, Tuple

import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper

from mmpart.registry import HOOKS

CHECKPOINT_KEY = 'training_attack_state'


@HOOKS.register_module()
class TrainingAttackStateHook(Hook):
    """Saves the state of the model's training attack (``model.attack``, if it has ``state_dict``; today
    :class:`~mmpart.attacks.FreePerturbation`'s carried-over ``δ``) in the checkpoints, one entry per process,
    and restores it when the run **resumes**, so that a killed and resumed free-AT run trains as the one that was
    not interrupted. Stateless attacks (PGD, FGSM, ...) and models without an attack are left alone; a ``load_from``
    (a new run from trained weights) starts the attack afresh.

    Only the main process writes checkpoints, so under DDP the states of all processes are gathered at the end of
    each iteration or epoch after which the ``CheckpointHook`` saves (its ``interval``, ``save_begin``,
    ``save_last``). A checkpoint saved at another moment (e.g. a best checkpoint under DDP) and one saved by another
    number of processes lack a state this run can use: the attack then starts afresh, with a warning.

    ``default_runtime.py`` enables it as ``default_hooks.training_attack_state``.
    """

    priority = 'LOW'  # before CheckpointHook (VERY_LOW) saves in the same after_train_iter / after_train_epoch

    def __init__(self) -> None:
        self._gathered: Optional[Tuple[int, List[dict]]] = None  # (iteration, the state of every process)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._gather_if_saving(runner, by_epoch=False)

    def after_train_epoch(self, runner) -> None:
        self._gather_if_saving(runner, by_epoch=True)

    def _gather_if_saving(self, runner, by_epoch: bool) -> None:
        attack = _stateful_attack(runner)
        if attack is not None and get_world_size() > 1 and any(
                _saves_now(hook, runner, by_epoch) for hook in runner.hooks if isinstance(hook, CheckpointHook)):
            self._gathered = (runner.iter, all_gather_object(_to_cpu(attack.state_dict())))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        attack = _stateful_attack(runner)
        if attack is None:
            return
        if get_world_size() == 1:
            checkpoint[CHECKPOINT_KEY] = [_to_cpu(attack.state_dict())]
        elif self._gathered is not None and self._gathered[0] == runner.iter:
            checkpoint[CHECKPOINT_KEY] = self._gathered[1]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        attack = _stateful_attack(runner)
        if attack is None or not runner._resume:
            return
        states = checkpoint.get(CHECKPOINT_KEY)
        if states is None:
            warnings.warn(f'the checkpoint holds no state of the training attack: {type(attack).__name__} starts '
                          'afresh', stacklevel=2)
        elif len(states) != get_world_size():
            warnings.warn(f'the training attack state in the checkpoint was saved by {len(states)} processes, this '
                          f'run has {get_world_size()}: {type(attack).__name__} starts afresh', stacklevel=2)
        else:
            attack.load_state_dict(states[get_rank()])


def _saves_now(hook: CheckpointHook, runner, by_epoch: bool) -> bool:
    """Whether ``hook`` saves a checkpoint in this after_train_epoch (``by_epoch``) or after_train_iter: its own
    rule (mmengine's ``CheckpointHook.after_train_epoch`` / ``after_train_iter``)."""
    if hook.by_epoch != by_epoch:
        return False
    if by_epoch:
        return hook.every_n_epochs(runner, hook.interval, hook.save_begin) or (
            hook.save_last and hook.is_last_train_epoch(runner))
    return hook.every_n_train_iters(runner, hook.interval, hook.save_begin) or (
        hook.save_last and hook.is_last_train_iter(runner))


def _stateful_attack(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    attack = getattr(model, 'attack', None)
    return attack if hasattr(attack, 'state_dict') else None


def _to_cpu(state: dict) -> dict:
    return {key: value.detach().cpu().clone() if isinstance(value, torch.Tensor) else value
            for key, value in state.items()}
