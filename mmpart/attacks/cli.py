"""Attack configs from the command line (``tools/test.py --attack NAME --eps ...``)."""
import inspect
from typing import Any, Dict, List, Optional, Sequence, Set

from mmpart.registry import ATTACKS

# command-line names -> registered attack types
ATTACK_NAMES = dict(pgd='PGD', fgsm='FGSM', cw='CW', apgd='APGD', autoattack='AutoAttack', square='Square')


def attack_names(text: str) -> List[str]:
    """The attacks of ``--attack``: one name, or a comma-separated list (``pgd,cw,apgd``) for a per-sample worst
    case; unknown names are refused with the choices."""
    names = [name.strip() for name in text.split(',') if name.strip()]
    unknown = [name for name in names if name not in ATTACK_NAMES]
    if not names or unknown:
        raise ValueError(f'unknown attack {", ".join(map(repr, unknown)) or repr(text)}; choose from '
                         f'{sorted(ATTACK_NAMES)} or a comma-separated list of them')
    return names


def _accepted(attack_type: str) -> Set[str]:
    return {k for k in inspect.signature(ATTACKS.get(attack_type).__init__).parameters if k != 'self'}


def multi_attack_config(names: Sequence[str], overrides: Dict[str, Any]) -> dict:
    """A :class:`~mmpart.attacks.MultiAttack` config of the named attacks; each command-line argument goes to the
    attacks that take it (``--eps`` and ``--norm`` to all), and one that none takes is refused."""
    given = {k: v for k, v in overrides.items() if v is not None}
    individual = given.pop('individual', False)
    unused = sorted(k for k in given if not any(k in _accepted(ATTACK_NAMES[n]) for n in names))
    if unused:
        raise ValueError(f'none of the attacks {list(names)} takes {unused}')
    attacks = [dict(type=ATTACK_NAMES[n], **{k: v for k, v in given.items() if k in _accepted(ATTACK_NAMES[n])})
               for n in names]
    return dict(type='MultiAttack', attacks=attacks, names=list(names), individual=individual)


def attack_config(name: Optional[str], overrides: Dict[str, Any], base: Optional[dict] = None) -> dict:
    """The attack config that a run uses: ``base`` (from the config file) updated by the command line.

    Args:
        name: a key of :data:`ATTACK_NAMES`, a comma-separated list of them (a
            :func:`multi_attack_config`, ``base`` is not used), or None to keep the type of ``base``.
        overrides: attack arguments from the command line (None values are ignored).
        base: the config file's attack; its arguments are kept only if ``name`` selects the same type.

    Raises:
        ValueError: unknown name, no attack at all, or an argument the attack does not take.
    """
    if name is not None and ',' in name:
        return multi_attack_config(attack_names(name), overrides)
    if name is not None and name not in ATTACK_NAMES:
        raise ValueError(f'unknown attack {name!r}; choose from {sorted(ATTACK_NAMES)}')
    base = dict(base or {})
    if name is not None and base.get('type') != ATTACK_NAMES[name]:
        base = dict(type=ATTACK_NAMES[name])
    if 'type' not in base:
        raise ValueError('no attack: pass --attack NAME or set test_cfg.attack in the config')
    cfg = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    accepted = inspect.signature(ATTACKS.get(cfg['type']).__init__).parameters
    unknown = sorted(k for k in cfg if k != 'type' and k not in accepted)
    if unknown:
        raise ValueError(f'attack {cfg["type"]} does not take {unknown}; it takes '
                         f'{sorted(k for k in accepted if k != "self")}')
    return cfg
