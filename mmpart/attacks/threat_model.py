"""Threat models: norms, the units of ε, the standard radii (DESIGN §5), and how runs describe them."""
from typing import Any, Dict, Optional, Sequence

NORMS = ('linf', 'l2', 'l1')
#: radius used when none is given: L∞ in /255 units (4 = 4/255), L2 and L1 in [0, 1] pixel units
STANDARD_EPS = dict(linf=4.0, l2=2.0, l1=75.0)
NORM_NAMES = dict(linf='L∞', l2='L2', l1='L1')


def check_norm(norm: str, allowed: Sequence[str] = NORMS) -> str:
    """``norm`` if it is one of ``allowed``, else a ValueError naming the choices."""
    if norm not in allowed:
        raise ValueError(f'norm must be one of {list(allowed)}, got {norm!r}')
    return norm


def resolve_eps(eps: Optional[float], norm: str) -> float:
    """``eps``, or the standard radius of ``norm`` if None (in the attack's units: /255 for L∞)."""
    eps = STANDARD_EPS[check_norm(norm)] if eps is None else float(eps)
    if eps < 0:
        raise ValueError(f'eps must be >= 0, got {eps}')
    return eps


def eps_unit(norm: str) -> float:
    """Size of one unit of ε in [0, 1] pixel space: 1/255 for L∞, 1 for L2 and L1."""
    return 1 / 255 if check_norm(norm) == 'linf' else 1.0


def threat_model(attack: str, norm: str, eps: float, **details: Any) -> Dict[str, Any]:
    """The threat model of an attack as a JSON-ready dict: ε in its own units, in [0, 1] and in [0, 255]
    pixel units, and any ``details`` (steps, restarts, selection rule, ...)."""
    eps01 = eps * eps_unit(norm)
    return dict(attack=attack, norm=norm, eps=eps, eps_01=eps01, eps_255=eps01 * 255, **details)


def describe_threat_model(model: Dict[str, Any]) -> str:
    """One line for logs, e.g. ``PGD, L∞ ε = 4/255 (0.01569 in [0, 1]), steps=10, ...``."""
    name = NORM_NAMES[model['norm']]
    if model['norm'] == 'linf':
        eps = f'{model["eps_255"]:g}/255 ({model["eps_01"]:.5g} in [0, 1])'
    else:
        eps = f'{model["eps_01"]:g} in [0, 1] ({model["eps_255"]:g} in [0, 255])'
    details = ', '.join(f'{k}={v}' for k, v in model.items() if k not in ('attack', 'norm', 'eps', 'eps_01', 'eps_255'))
    return f'{model["attack"]}, {name} ε = {eps}' + (f', {details}' if details else '')
