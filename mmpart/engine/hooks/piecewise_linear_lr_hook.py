"""A learning rate that is a piecewise-linear function of the fractional epoch, set before every iteration."""
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from mmpart.registry import HOOKS


@HOOKS.register_module()
class PiecewiseLinearLRHook(Hook):
    """Sets every parameter group's learning rate before each training iteration to the linear interpolation of
    ``values`` at ``epochs``, evaluated at the fractional epoch ``epoch + (i + 1) / iterations of this epoch`` — the
    cyclic schedule of Wong et al.'s fast AT code (``np.interp`` in ``main_fast.py``, ImageNet: 0 → 0.4 at epoch 1 →
    0.04 at 6 → 0.004 at 12 → 0.0004 at 15).

    mmengine's schedulers convert epochs to iterations once, with the first dataloader's length; this hook reads the
    length of the epoch it is in, so the schedule stays one of epochs when the dataloader changes
    (:class:`~mmpart.engine.hooks.ProgressiveResizingHook`). It is stateless (a resumed run sets the same values); the
    config's optimizer ``lr`` is only the value before the first iteration, and no ``param_scheduler`` should change
    the learning rate as well (set ``param_scheduler = None``).

    Args:
        epochs: increasing epochs (0-based, fractional allowed) of the breakpoints.
        values: the learning rate at each breakpoint (constant beyond the ends).
    """

    priority = 'LOW'  # as ParamSchedulerHook

    def __init__(self, epochs: Sequence[float], values: Sequence[float]) -> None:
        if len(epochs) != len(values) or len(epochs) < 2 or list(epochs) != sorted(epochs) or min(values) < 0:
            raise ValueError(f'epochs must increase, with one value >= 0 each (two at least); got epochs={epochs}, '
                             f'values={values}')
        self.epochs, self.values = [float(e) for e in epochs], [float(v) for v in values]

    def lr_at(self, epoch: float) -> float:
        """The learning rate at a fractional epoch."""
        return float(np.interp(epoch, self.epochs, self.values))

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        lr = self.lr_at(runner.epoch + (batch_idx + 1) / len(runner.train_dataloader))
        for group in runner.optim_wrapper.param_groups:
            group['lr'] = lr
