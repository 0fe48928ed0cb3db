"""CW-L∞: PGD on the Carlini-Wagner margin loss."""
from typing import Optional

from mmpart.registry import ATTACKS

from .pgd import PGD


@ATTACKS.register_module()
class CW(PGD):
    """PGD maximising the CW margin (best wrong logit minus true logit), as in RobustBench's CW-L∞.

    Args: as :class:`PGD`, without ``loss``.
    """

    def __init__(self, eps: Optional[float] = None, steps: int = 10, step_size: Optional[float] = None,
                 norm: str = 'linf', random_start: bool = True, keep: str = 'misclassified',
                 restarts: int = 1, eot_iter: int = 1) -> None:
        super().__init__(eps=eps, steps=steps, step_size=step_size, norm=norm, random_start=random_start,
                         keep=keep, restarts=restarts, loss='margin', eot_iter=eot_iter)
