"""Attack configs from the command line: the config's attack, overridden by flags, checked; per-norm ε."""
import pytest

from mmpart.attacks import APGD, ATTACK_NAMES, CW, FGSM, PGD, STANDARD_EPS, AutoAttack, Square, attack_config
from mmpart.registry import ATTACKS

NORMS = dict(pgd=('linf', 'l2'), fgsm=('linf', 'l2'), cw=('linf', 'l2'), apgd=('linf', 'l2', 'l1'),
             autoattack=('linf', 'l2', 'l1'), square=('linf', 'l2'))


def test_every_name_builds_its_attack_with_the_standard_eps_of_each_norm():
    assert ATTACK_NAMES == dict(pgd='PGD', fgsm='FGSM', cw='CW', apgd='APGD', autoattack='AutoAttack',
                                square='Square')
    classes = dict(pgd=PGD, fgsm=FGSM, cw=CW, apgd=APGD, autoattack=AutoAttack, square=Square)
    for name, norms in NORMS.items():
        for norm in norms:  # no --eps: the norm's standard radius (DESIGN §5), not 4 whatever the norm
            attack = ATTACKS.build(attack_config(name, dict(norm=norm, eps=None)))
            assert type(attack) is classes[name] and attack.norm == norm
            assert attack.eps == STANDARD_EPS[norm] == dict(linf=4, l2=2, l1=75)[norm]
            model = attack.threat_model()
            assert model['attack'] == classes[name].__name__ and model['eps_01'] == pytest.approx(
                dict(linf=4 / 255, l2=2.0, l1=75.0)[norm])
            if hasattr(attack, 'keep') or name == 'autoattack':
                assert model['keep'] == 'misclassified'
        assert ATTACKS.build(attack_config(name, dict(eps=8))).eps == 8


def test_cli_overrides_config_of_the_same_type():
    base = dict(type='PGD', eps=4, steps=10, step_size=1)
    assert attack_config(None, dict(eps=8, steps=None), base) == dict(type='PGD', eps=8, steps=10, step_size=1)
    assert attack_config('pgd', dict(restarts=2), base) == dict(base, restarts=2)
    # another attack starts from its own defaults, not from the other attack's arguments
    assert attack_config('apgd', dict(eps=4), base) == dict(type='APGD', eps=4)


def test_errors_name_the_problem():
    takes = r"attack FGSM does not take \['steps'\]; it takes \['eps', 'keep', 'loss', 'norm'\]"
    with pytest.raises(ValueError, match=takes):
        attack_config('fgsm', dict(steps=3))
    with pytest.raises(ValueError, match=r"unknown attack 'deepfool'; choose from \['apgd', 'autoattack', 'cw'"):
        attack_config('deepfool', {})
    with pytest.raises(ValueError, match='no attack: pass --attack NAME or set test_cfg.attack'):
        attack_config(None, dict(eps=4))
    with pytest.raises(ValueError, match='norm must be one of'):
        ATTACKS.build(attack_config('pgd', dict(norm='l1')))


def test_list_errors_in_full_and_self_is_no_option():
    with pytest.raises(ValueError, match=r"^unknown attack 'deepfool', 'x'; choose from \['apgd', .*\] or a "
                       r'comma-separated list of them$'):
        attack_config('pgd,deepfool,x', {})
    with pytest.raises(ValueError, match=r"^unknown attack ' , '; choose from"):
        attack_config(' , ', {})  # a list without a name: the text is quoted
    with pytest.raises(ValueError, match=r"^none of the attacks \['pgd', 'fgsm'\] takes \['self'\]$"):
        attack_config('pgd,fgsm', dict(self=1))
    with pytest.raises(ValueError, match='^no attack: pass --attack NAME or set test_cfg.attack in the config$'):
        attack_config(None, dict(eps=4))
