"""Gradient-based fast adaptation (MAML's inner loop) over named parameters, with ``torch.func.functional_call``."""
from typing import Callable, Dict

import torch
import torch.nn as nn
from torch.func import functional_call

__all__ = ['fast_adapt']


def fast_adapt(module: nn.Module, params: Dict[str, torch.Tensor], inputs: torch.Tensor, targets: torch.Tensor,
               loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], num_steps: int, lr: float,
               create_graph: bool) -> Dict[str, torch.Tensor]:
    """``num_steps`` of plain SGD on ``loss_fn(module(inputs), targets)``, starting from ``params``.

    ``module`` is called with ``params`` in place of its own tensors of those names (the others, e.g.
    norm layers that are not adapted and buffers, are the module's own), so nothing is copied or written
    back. With ``create_graph`` the adapted tensors stay differentiable functions of ``params`` through
    the gradients (second-order MAML); without, each step's gradient is a constant and the outer
    gradient flows through the identity part of ``p - lr * g`` only (first-order MAML).

    Returns:
        The adapted tensors, by name.
    """
    if num_steps < 0:
        raise ValueError(f'fast_adapt: num_steps must be >= 0, got {num_steps}')
    names = list(params)
    for _ in range(num_steps):
        loss = loss_fn(functional_call(module, params, (inputs, )), targets)
        grads = torch.autograd.grad(loss, [params[n] for n in names], create_graph=create_graph)
        params = {n: params[n] - lr * g for n, g in zip(names, grads)}
    return params
