"""Progressive resizing: the training images (and batch size) change with the epoch (Wong et al. 2020's fast AT)."""
import copy
from typing import List, Optional, Sequence

from mmengine.config import ConfigDict
from mmengine.hooks import Hook

from mmpart.registry import HOOKS


@HOOKS.register_module()
class ProgressiveResizingHook(Hook):
    """Rebuilds the training dataloader at given epochs from the config's ``train_dataloader`` with some of its
    settings replaced, e.g. a larger crop and a smaller batch (fast AT on ImageNet: 128 px, then 224, then 288).

    Before each training epoch the phase whose ``begin`` is the latest one not after the epoch is in force (the
    config's dataloader itself before the first); when it changes, the dataloader is rebuilt as mmengine builds it
    (same seed rules) with that phase's ``dataloader`` settings merged into the config's (a ``pipeline`` list
    replaces the whole list). A resumed run picks its phase the same way. The loop's total of iterations (log ETA) is
    updated for the new epoch length. Runs before ``DistSamplerSeedHook``, which seeds the new sampler.

    Learning-rate schedules that mmengine converts from epochs to iterations use the first dataloader's length: give a
    run with phases of different lengths a schedule by fractional epoch instead
    (:class:`~mmpart.engine.hooks.PiecewiseLinearLRHook`).

    Args:
        phases: ``dict(begin=EPOCH, dataloader=dict(...))`` in increasing ``begin`` (0-based epochs, ``begin`` > 0).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, phases: Sequence[dict]) -> None:
        begins = [phase.get('begin') for phase in phases]
        if not phases or any(not isinstance(b, int) or b <= 0 for b in begins) or begins != sorted(set(begins)) or \
                any(not isinstance(phase.get('dataloader'), dict) for phase in phases):
            raise ValueError('phases must be dict(begin=EPOCH, dataloader=dict(...)) with increasing begin > 0, got '
                             f'{list(phases)}')
        self.phases = [dict(begin=phase['begin'], dataloader=dict(phase['dataloader'])) for phase in phases]
        self.current: Optional[int] = None  # index of the phase in force; None: the config's dataloader

    def phase_at(self, epoch: int) -> Optional[int]:
        """Index of the phase in force at a 0-based epoch (None: the config's dataloader)."""
        started: List[int] = [i for i, phase in enumerate(self.phases) if phase['begin'] <= epoch]
        return started[-1] if started else None

    def dataloader_cfg(self, base: dict, phase: Optional[int]) -> ConfigDict:
        """The config's ``train_dataloader`` with the settings of ``phase`` merged in."""
        cfg = ConfigDict(copy.deepcopy(base))
        if phase is not None:
            cfg.merge(copy.deepcopy(self.phases[phase]['dataloader']))
        return cfg

    def before_train_epoch(self, runner) -> None:
        phase = self.phase_at(runner.epoch)
        if phase == self.current:
            return
        loop = runner.train_loop
        loop.dataloader = runner.build_dataloader(
            self.dataloader_cfg(runner.cfg.train_dataloader, phase), seed=runner.seed,
            diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed', False))
        loop._max_iters = runner.iter + (runner.max_epochs - runner.epoch) * len(loop.dataloader)
        self.current = phase
