"""Linear warm-up of the adversarial training attack's step size."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpart.registry import HOOKS


@HOOKS.register_module()
class AttackStepRampHook(Hook):
    """Ramp the step size of ``model.attack`` linearly from 0 to its configured value.

    Before every training iteration the step is ``full · min(1, t / (warmup_epochs · iters_per_epoch))``
    with ``t`` the global iteration (so a resumed run continues the ramp where it stopped); the
    configured value is restored after training. DESIGN §4: PGD-AT ramps over the first 2 epochs.

    With ``by_epoch=True`` the step changes once per epoch instead, to ``full · min(e, warmup_epochs) /
    warmup_epochs`` for the 0-based epoch ``e``: a staircase (0, ½, 1 for 2 epochs), so the first epoch trains
    on the random start alone. That is the PIN++ reference code's ramp (``adv_train.py``, ``att_step``); the
    default moves the same distance smoothly.

    Args:
        warmup_epochs: length of the ramp in epochs of the train dataloader.
        by_epoch: a staircase per epoch (the PIN++ reference) instead of a ramp per iteration.
    """

    priority = 'NORMAL'

    def __init__(self, warmup_epochs: float = 2, by_epoch: bool = False) -> None:
        if warmup_epochs <= 0:
            raise ValueError(f'warmup_epochs must be > 0, got {warmup_epochs}')
        self.warmup_epochs, self.by_epoch = warmup_epochs, by_epoch
        self.full_step: Optional[float] = None

    @staticmethod
    def _attack(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        attack = getattr(model, 'attack', None)
        if attack is None or not hasattr(attack, 'step_size'):
            raise TypeError(f'AttackStepRampHook needs a model with an attack that has a step_size '
                            f'(e.g. AdvImageClassifier or MPMClassifier with attack=PGD); '
                            f'{type(model).__name__} has attack={attack!r}')
        return attack

    def before_train(self, runner) -> None:
        """Remember the configured (full) step size."""
        self.full_step = self._attack(runner).step_size

    def step_size(self, iteration: int, iters_per_epoch: int, epoch: int) -> float:
        """The ramped step size at a global training iteration of the 0-based ``epoch``."""
        if self.by_epoch:
            return self.full_step * min(epoch, self.warmup_epochs) / self.warmup_epochs
        return self.full_step * min(1.0, iteration / (self.warmup_epochs * iters_per_epoch))

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        """Set the attack's step size for this iteration."""
        self._attack(runner).step_size = self.step_size(runner.iter, len(runner.train_dataloader), runner.epoch)

    def after_train(self, runner) -> None:
        """Restore the configured step size."""
        self._attack(runner).step_size = self.full_step
