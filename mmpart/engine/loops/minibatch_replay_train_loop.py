"""Epoch-based training that replays every batch several times (free adversarial training, Shafahi et al. 2019)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from mmpart.registry import LOOPS


@LOOPS.register_module()
class MinibatchReplayTrainLoop(EpochBasedTrainLoop):
    """:class:`mmengine.runner.EpochBasedTrainLoop` that runs ``replays`` training steps (``model.train_step``:
    forward, backward, optimizer step) on each batch before loading the next.

    With :class:`~mmpart.attacks.FreePerturbation` as the model's training attack this is free adversarial
    training: each replay trains on the perturbation the previous one stepped. One runner iteration is one batch
    with all its replays, so everything counted in iterations or epochs — learning-rate schedules (converted per
    iteration with the epoch length of the dataloader), ``max_epochs``, hooks such as EMA and logging, checkpoints
    — sees batches; the optimizer takes ``replays`` steps per iteration. Free AT divides the epochs by
    ``replays`` (same number of optimizer steps); the logged losses are those of the last replay.

    Args:
        replays: training steps per batch (the paper's ``m``).
        Others as ``EpochBasedTrainLoop``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], max_epochs: int, replays: int = 4,
                 val_begin: int = 1, val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if replays < 1:
            raise ValueError(f'replays must be >= 1, got {replays}')
        super().__init__(runner, dataloader, max_epochs, val_begin=val_begin, val_interval=val_interval,
                         dynamic_intervals=dynamic_intervals)
        self.replays = replays

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """One batch: ``replays`` training steps between the iteration's hooks."""
        self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        for _ in range(self.replays):
            outputs = self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        self._iter += 1
