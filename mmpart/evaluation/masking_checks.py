"""Gradient-masking checks of robust evaluations (AutoAttack's flags documentation, DESIGN §5).

A robust accuracy can be high because the model is robust or because the attack could not find its way
(gradient masking: non-differentiable or randomised layers, saturated softmax, shattered gradients). These
checks look for the signs; a failed check is flagged in the logs, the JSON and the robustness report, never only
tabulated. Per evaluation (from the per-sample records of :class:`~mmpart.evaluation.metrics.RobustAccuracy`):

* ``robust <= clean``: the attacked points are not classified right more often than the clean images;
* ``no zero gradients``: no sample has an all-zero input gradient at the clean point;
* ``deterministic or EoT``: repeated forward passes agree, unless the attack averages gradients (EoT);
* ``black-box not stronger``: Square does not break samples that the white-box attacks left robust.

Across evaluations (the robustness report): robust accuracy falls as ε grows and reaches ~0 at a large ε; more
steps and restarts neither raise it nor lower it by more than the tolerance.
"""
from typing import Dict, List, Optional, Sequence

from .metrics.robust_accuracy import robust_accuracy
from .tables import markdown_table

#: percentage points an accuracy may move between runs that should agree (AutoAttack's Square check: 0.2%)
TOLERANCE = 0.2
#: robust accuracy (%) that counts as "about 0" at a large ε
LARGE_EPS_MAX_ACCURACY = 1.0

Check = Dict[str, object]


def check(name: str, passed: bool, detail: str) -> Check:
    """One check result, as written to JSON: ``check``, ``passed``, ``detail``."""
    return dict(check=name, passed=bool(passed), detail=detail)


def evaluation_checks(records: Sequence[dict], eot_iter: int = 1, black_box: Sequence[str] = (),
                      tolerance: float = TOLERANCE) -> List[Check]:
    """The checks one evaluation can make on its per-sample ``records`` (top-1).

    Args:
        records: :class:`RobustAccuracy` records; ``checks`` entries (zero gradient, varying logits) are used
            where the test loop added them, ``attacks`` entries for the black-box comparison.
        eot_iter: forward passes per gradient of the attack (1: no EoT).
        black_box: names of the black-box attacks among the ``attacks`` entries (e.g. ``['square']``).
        tolerance: percentage points Square may lower robust accuracy by before it is flagged.
    """
    n = len(records)
    clean = 100 * sum(r['clean'][0] for r in records) / n
    attacked = 100 * sum(r['adv'][0] for r in records) / n
    checks = [check('robust <= clean', attacked <= clean,
                    f'accuracy at the attacked points {attacked:.2f}% vs clean {clean:.2f}%' +
                    ('' if attacked <= clean else ': the attack makes the model more accurate; it is not '
                     'maximising the loss it should'))]
    observed = [r['checks'] for r in records if 'checks' in r]
    if observed:
        zero = sum(c['zero_gradient'] for c in observed)
        checks.append(check('no zero gradients', zero == 0,
                            f'{zero} of {len(observed)} samples have an all-zero input gradient at the clean point' +
                            ('' if zero == 0 else ' (non-differentiable or saturated model): gradient-based attacks '
                             'cannot move them; evaluate with a black-box attack (square) or an adaptive attack')))
        varying = sum(c['varying_logits'] for c in observed)
        checks.append(check('deterministic or EoT', varying == 0 or eot_iter > 1,
                            f'{varying} of {len(observed)} samples get different logits from two identical forward '
                            f'passes; the attack averages {eot_iter} pass(es) per gradient' +
                            ('' if varying == 0 or eot_iter > 1 else ': a randomised model needs EoT '
                             '(eot_iter=k, or AutoAttack version=\'rand\')')))
    attacks = list(records[0].get('attacks', {}))
    bb = [a for a in attacks if a.split('_', 1)[1] in black_box]
    white = [a for a in attacks if a not in bb]
    if bb and white:
        checks.append(_black_box_check(records, attacks, bb, white, tolerance))
    return checks


def _black_box_check(records: Sequence[dict], attacks: List[str], bb: List[str], white: List[str],
                     tolerance: float) -> Check:
    accuracy = {a: robust_accuracy(records, a) for a in attacks}
    if attacks[0].startswith('by_'):  # each attack's own number
        best_white = min(accuracy[a] for a in white)
        gap = max(best_white - accuracy[a] for a in bb)
        detail = f'own robust accuracy: white-box best {best_white:.2f}%, ' + ', '.join(
            f'{a[3:]} {accuracy[a]:.2f}%' for a in bb)
    else:  # a cascade: what each black-box attack broke after the attacks before it
        gaps = [accuracy[attacks[i - 1]] - accuracy[a] for i, a in enumerate(attacks) if a in bb and i > 0]
        gap = max(gaps, default=0.0)
        detail = 'robust accuracy lowered by ' + ', '.join(
            f'{a[6:]}: {accuracy[attacks[i - 1]] - accuracy[a]:.2f} points' for i, a in enumerate(attacks)
            if a in bb and i > 0) + ' after the white-box attacks'
    passed = gap <= tolerance
    if not passed:
        detail += (f' (> {tolerance} points): the black-box attack finds what gradients did not, a sign of '
                   'gradient masking; run Square with more queries / restarts or an adaptive attack')
    return check('black-box not stronger', passed, detail)


def sweep_checks(eps: Sequence[float], clean: float, robust: Sequence[float], large_eps: Optional[float] = None,
                 large_robust: Optional[float] = None, tolerance: float = TOLERANCE,
                 large_eps_max: float = LARGE_EPS_MAX_ACCURACY) -> List[Check]:
    """Robust accuracy falls as ε grows (``robust`` at the sorted radii ``eps``, ``clean`` at 0) and reaches
    about 0 (at most ``large_eps_max`` %) at ``large_eps``."""
    curve = [clean, *robust]
    rises = [(a, b, x, y) for a, b, x, y in zip([0, *eps], eps, curve, curve[1:]) if y > x + tolerance]
    checks = [check('robust falls with eps', not rises,
                    'robust accuracy ' + ' -> '.join(f'{v:.2f}' for v in curve) + ' at eps ' +
                    ', '.join(f'{e:g}' for e in [0, *eps]) +
                    ''.join(f'; rises from {x:.2f}% at {a:g} to {y:.2f}% at {b:g}' for a, b, x, y in rises))]
    if large_eps is not None and large_robust is not None:
        checks.append(check('~0 at large eps', large_robust <= large_eps_max,
                            f'robust accuracy {large_robust:.2f}% at eps {large_eps:g} (at most {large_eps_max:g}%'
                            + (')' if large_robust <= large_eps_max else '): an attack this large should break every '
                               'sample; the gradients do not lead the attack there')))
    return checks


def effort_checks(base: float, more: float, what: str, tolerance: float = TOLERANCE) -> List[Check]:
    """More attack effort (``what``, e.g. ``'4x steps, 2 restarts'``) neither raises robust accuracy (``base`` →
    ``more``) nor lowers it by more than ``tolerance`` points (the base evaluation had not converged)."""
    detail = f'robust accuracy {base:.2f}% -> {more:.2f}% with {what}'
    return [check('more effort does not raise it', more <= base + tolerance, detail),
            check('more effort does not help', base - more <= tolerance,
                  detail + ('' if base - more <= tolerance else
                            f': {base - more:.2f} points lower, so the base attack had not converged'))]


def failed(checks: Sequence[Check]) -> List[Check]:
    """The checks that did not pass."""
    return [c for c in checks if not c['passed']]


def checks_table(checks: Sequence[Check]) -> str:
    """A markdown table of checks, ``ok`` or ``FLAGGED`` per row."""
    return markdown_table(['gradient-masking check', 'result', 'detail'],
                          [[c['check'], 'ok' if c['passed'] else 'FLAGGED', c['detail']] for c in checks])
