"""A hand-built "model" whose logits along the PGD path are set by hand, for tests of which iterate an attack keeps.

Images are ``(N, 2, 1, 1)``: channel 0 is a position, channel 1 the sample's id (times :data:`ID_UNIT`, inside
[0, 1]). The logits are read from
:data:`TABLES` at the position's index ``k = (x - CENTRE) / ALPHA`` (values only), plus a straight-through
term whose gradient always pushes the position up (the cross-entropy gradient of label 0 w.r.t. channel 0
is ``2 (p1 + p2) > 0``; channel 1 gets none). So PGD from ``CENTRE`` with step ``ALPHA`` and no random
start visits ``k = 0, 1, 2, ...`` and sees exactly the table's logits. For label 0:

* sample 0: iterate 1 is misclassified (CE 0.97), iterate 2 classified correctly at a *higher* loss (CE 1.03);
* sample 1: never misclassified, highest loss at iterate 2;
* sample 2 (:data:`LOWER_LOSS_BREAK`, the harder case of the evaluation rule): iterate 1 is classified correctly at
  a high loss (CE 1.03), iterate 2 is the first misclassified one, at a *lower* loss (CE 0.97).
"""
from typing import List, Optional, Sequence

import torch

CENTRE = 0.5
ALPHA = 10 / 255
TABLES = (
    torch.tensor([[3.0, 0.0, 0.0], [1.0, 1.5, -5.0], [1.0, 0.9, 0.9], [2.0, 0.0, 0.0]]),
    torch.tensor([[3.0, 0.0, 0.0], [2.5, 0.0, 0.0], [1.0, 0.5, 0.5], [2.0, 0.0, 0.0]]),
    torch.tensor([[3.0, 0.0, 0.0], [1.0, 0.9, 0.9], [1.0, 1.5, -5.0], [2.0, 0.0, 0.0]]),
)
#: id of the sample first misclassified at a lower loss than an earlier, correctly classified iterate
LOWER_LOSS_BREAK = 2
PUSH = torch.tensor([-1.0, 1.0, 1.0])
ID_UNIT = 0.25


def position_images(ids: Sequence[int] = (0, 1)) -> torch.Tensor:
    """The samples ``ids`` at ``CENTRE``, with their ids in channel 1."""
    images = torch.full((len(ids), 2, 1, 1), CENTRE)
    images[:, 1, 0, 0] = torch.tensor(ids, dtype=torch.float32) * ID_UNIT
    return images


def table_logits_fn(calls: Optional[List[int]] = None):
    """The logits function; appends each call's batch size to ``calls`` if given."""

    def logits_fn(x: torch.Tensor) -> torch.Tensor:
        if calls is not None:
            calls.append(x.size(0))
        values = x.detach()
        steps = ((values[:, 0, 0, 0] - CENTRE) / ALPHA).round().long().tolist()
        ids = (values[:, 1, 0, 0] / ID_UNIT).round().long().tolist()
        base = torch.stack([TABLES[i][k] for i, k in zip(ids, steps)])
        return base + (x - values)[:, 0, 0, :1] * PUSH

    return logits_fn
