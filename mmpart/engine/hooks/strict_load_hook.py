"""Refuse a ``load_from`` / ``resume`` checkpoint whose keys or shapes differ from the model's."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpart.registry import HOOKS
from mmpart.utils.checkpoint_match import check_checkpoint_fits


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Stops the run with :class:`~mmpart.utils.checkpoint_match.CheckpointMismatchError` when the
    checkpoint that ``load_from`` or ``resume`` loads does not fit the model exactly.

    mmengine loads these checkpoints non-strictly: missing keys keep their initialisation, layers whose
    shapes differ are skipped, and layers whose shapes happen to match take the weights, with only a
    warning in the log (e.g. an MPM of another backbone inheriting ``configs/mpm/mpm_r50.py`` would take
    part of its bypass from the ResNet stage-1 checkpoint). ``default_runtime.py`` enables it as
    ``default_hooks.strict_load``; set that to None to initialise from another model on purpose.
    """

    priority = 'VERY_HIGH'  # before EMAHook copies the checkpoint into its averaged model

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        source = runner._load_from or f'the latest checkpoint of {runner.work_dir}'
        check_checkpoint_fits(model, checkpoint, f'checkpoint {source}')
