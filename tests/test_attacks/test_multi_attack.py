"""MultiAttack: the per-sample worst case over attacks, cascade and individual, on attacks whose outcomes are set by
hand; AutoAttack's per-attack breakdown; attack lists on the command line."""
import re

import pytest
import torch
from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted
from pyautoattack.fab_pt import FABAttack_PT
from pyautoattack.square import SquareAttack

from mmpart.attacks import (
    PGD,
    AttackResult,
    AutoAttack,
    BaseAttack,
    MultiAttack,
    Square,
    attack_config,
    attack_progress,
)
from mmpart.attacks.threat_model import threat_model

from .test_autoattack import correctly_classified, small_net

NUM_CLASSES = 3


class BreaksSamples(BaseAttack):
    """Moves every sample it sees to ``marker`` (channel 1) and misclassifies those whose id (channel 0) is in
    ``ids``; records the ids it was run on."""

    def __init__(self, ids, marker: float) -> None:
        self.ids, self.marker, self.seen = set(ids), marker, []

    def __call__(self, logits_fn, images, labels):
        return self.run(logits_fn, images, labels).images

    def run(self, logits_fn, images, labels):
        ids = images[:, 0, 0, 0].round().long().tolist()
        self.seen.append(ids)
        adversarial = images.clone()
        adversarial[:, 1] = self.marker
        logits = torch.nn.functional.one_hot(labels, NUM_CLASSES).float()
        broken = torch.tensor([i in self.ids for i in ids])
        logits[broken] = torch.nn.functional.one_hot((labels[broken] + 1) % NUM_CLASSES, NUM_CLASSES).float()
        return AttackResult(adversarial, logits)

    def threat_model(self):
        return threat_model('BreaksSamples', 'linf', 4.0)


def clean_logits_fn(images):
    """Right on every sample but id 5, whose clean prediction is wrong."""
    labels = images[:, 0, 0, 0].round().long() % NUM_CLASSES
    wrong = images[:, 0, 0, 0].round().long() == 5
    return torch.nn.functional.one_hot(torch.where(wrong, (labels + 1) % NUM_CLASSES, labels), NUM_CLASSES).float()


def samples(n=6):
    images = torch.zeros(n, 2, 1, 1)
    images[:, 0, 0, 0] = torch.arange(n).float()
    return images, torch.arange(n) % NUM_CLASSES


def broken_by(logits, labels):
    return set((logits.argmax(1) != labels).nonzero()[:, 0].tolist())


def test_each_attack_reports_its_start_and_what_it_broke():
    messages = []
    first, second = BreaksSamples({0, 1}, marker=1.0), BreaksSamples({1, 2}, marker=2.0)
    images, labels = samples()
    MultiAttack([first, second], names=['a', 'b']).run(clean_logits_fn, images, labels)  # no reporter: silent
    with attack_progress(messages.append):
        MultiAttack([first, second], names=['a', 'b']).run(clean_logits_fn, images, labels)
    assert [re.sub(r'in \d+\.\d s', 'in T s', m) for m in messages] == [
        'attack 1/2 a: 5 of 6 samples', 'attack 1/2 a: broke 2 of 5 in T s',  # id 5 is wrong clean
        'attack 2/2 b: 3 of 6 samples', 'attack 2/2 b: broke 1 of 3 in T s']  # the cascade: what a left robust


@pytest.mark.parametrize('individual', [False, True])
def test_worst_case_and_per_attack_numbers(individual):
    first, second = BreaksSamples({0, 1}, marker=1.0), BreaksSamples({1, 2}, marker=2.0)
    attack = MultiAttack([first, second], names=['a', 'b'], individual=individual)
    images, labels = samples()
    result = attack.run(clean_logits_fn, images, labels)

    assert broken_by(result.logits, labels) == {0, 1, 2, 5}  # 5: wrong clean, its clean logits are kept
    # a broken sample comes back at the point of the first attack that broke it; a robust one at the last attack's
    assert result.images[:, 1, 0, 0].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0, 0.0]
    assert first.seen == [[0, 1, 2, 3, 4]]  # the sample wrong clean is not attacked
    if individual:  # every attack on every sample right clean; each attack's own outcome
        assert second.seen == [[0, 1, 2, 3, 4]]
        assert attack.mode == 'by'
        assert broken_by(result.per_attack['a'], labels) == {0, 1, 5}
        assert broken_by(result.per_attack['b'], labels) == {1, 2, 5}
    else:  # the second attack on the samples the first left; the worst case after each attack
        assert second.seen == [[2, 3, 4]]
        assert attack.mode == 'after'
        assert broken_by(result.per_attack['a'], labels) == {0, 1, 5}
        assert broken_by(result.per_attack['b'], labels) == {0, 1, 2, 5}
    assert torch.equal(attack(clean_logits_fn, images, labels), result.images)


class FixedOutcome(BaseAttack):
    """Moves every sample to ``marker`` (channel 1) where the model's logits are ``logits`` (the same for all)."""

    def __init__(self, logits, marker: float) -> None:
        self.logits, self.marker = torch.tensor(logits), marker

    def __call__(self, logits_fn, images, labels):
        return self.run(logits_fn, images, labels).images

    def run(self, logits_fn, images, labels):
        adversarial = images.clone()
        adversarial[:, 1] = self.marker
        return AttackResult(adversarial, self.logits.expand(len(images), -1).clone())

    def threat_model(self):
        return threat_model('FixedOutcome', 'linf', 4.0)


#: label 0: classified correctly at a high loss (CE 1.03), and misclassified at a lower one (CE 0.97)
CORRECT_HIGH_LOSS, WRONG_LOWER_LOSS = [1.0, 0.9, 0.9], [1.0, 1.5, -5.0]


@pytest.mark.parametrize('individual', [False, True])
@pytest.mark.parametrize('breaking_first', [False, True])
def test_worst_case_is_the_misclassified_point_whatever_the_losses(individual, breaking_first):
    # the harder case of the evaluation rule: one attack leaves the sample correct at a higher loss than the other's
    # misclassified point; the worst case is the misclassified point, in either order, and the sample is broken
    images, labels = samples(3)
    images[:, 0, 0, 0] = 0.0  # clean logits of id 0: right for label 0
    labels = torch.zeros(3, dtype=torch.long)
    loss = torch.nn.functional.cross_entropy(torch.tensor([CORRECT_HIGH_LOSS, WRONG_LOWER_LOSS]), labels[:2],
                                             reduction='none')
    assert loss[0] > loss[1]
    correct, wrong = FixedOutcome(CORRECT_HIGH_LOSS, marker=1.0), FixedOutcome(WRONG_LOWER_LOSS, marker=2.0)
    members, names = ([wrong, correct], ['wrong', 'correct']) if breaking_first else ([correct, wrong],
                                                                                     ['correct', 'wrong'])
    result = MultiAttack(members, names=names, individual=individual).run(clean_logits_fn, images, labels)
    assert broken_by(result.logits, labels) == {0, 1, 2}
    assert result.images[:, 1, 0, 0].tolist() == [2.0] * 3
    torch.testing.assert_close(result.logits, torch.tensor([WRONG_LOWER_LOSS] * 3))


def test_no_sample_left_skips_the_remaining_attacks():
    first, second = BreaksSamples(set(range(6)), 1.0), BreaksSamples(set(), 2.0)
    images, labels = samples()
    result = MultiAttack([first, second], names=['a', 'b']).run(clean_logits_fn, images, labels)
    assert second.seen == [] and list(result.per_attack) == ['a', 'b']
    assert broken_by(result.per_attack['b'], labels) == set(range(6))


def test_members_get_the_evaluation_rule_names_and_one_threat_model():
    attack = MultiAttack([dict(type='PGD', eps=4), dict(type='CW', eps=4), dict(type='PGD', eps=4, keep='loss')],
                         names=['pgd', 'cw', 'pgd_loss'])
    assert [name for name, _ in attack.members] == ['pgd', 'cw', 'pgd_loss']
    assert [a.keep for _, a in attack.members] == ['misclassified', 'misclassified', 'loss']
    assert attack.keep == 'loss'  # the loops warn about it
    model = attack.threat_model()
    assert model['attack'] == 'MultiAttack' and model['eps'] == 4
    assert list(model['attacks']) == ['pgd', 'cw', 'pgd_loss']
    with pytest.raises(ValueError, match=r"attacks named \['pgd'\] more than once"):
        MultiAttack([dict(type='PGD'), dict(type='PGD')])
    with pytest.raises(ValueError, match=r'one threat model, but the attacks use pgd: linf eps_01=0.0156863, cw: linf '
                                         r'eps_01=0.0313725'):
        MultiAttack([dict(type='PGD', eps=4), dict(type='CW', eps=8)], names=['pgd', 'cw'])
    with pytest.raises(ValueError, match='2 names for 1 attacks'):
        MultiAttack([dict(type='PGD')], names=['a', 'b'])


def test_attack_lists_on_the_command_line():
    cfg = attack_config('pgd,cw,apgd', dict(eps=8, steps=20, norm=None, restarts=None))
    assert cfg == dict(type='MultiAttack', names=['pgd', 'cw', 'apgd'], individual=False,
                       attacks=[dict(type='PGD', eps=8, steps=20), dict(type='CW', eps=8, steps=20),
                                dict(type='APGD', eps=8, steps=20)])
    cfg = attack_config('pgd,autoattack', dict(eps=4, steps=5, individual=True))
    assert cfg['individual'] and cfg['attacks'][1] == dict(type='AutoAttack', eps=4)  # AutoAttack takes no steps
    attack = MultiAttack(**{k: v for k, v in cfg.items() if k != 'type'})
    assert [name for name, _ in attack.members] == ['pgd', 'apgd-ce', 'apgd-t', 'fab-t', 'square']  # split up
    assert attack.members[0][1].steps == 5 and attack.individual
    with pytest.raises(ValueError, match=r"attacks named \['square'\] more than once"):
        MultiAttack(**{k: v for k, v in attack_config('autoattack,square', {}).items() if k != 'type'})
    with pytest.raises(ValueError, match=r"none of the attacks \['fgsm', 'square'\] takes \['steps'\]"):
        attack_config('fgsm,square', dict(steps=2))
    with pytest.raises(ValueError, match=r"unknown attack 'deepfool'"):
        attack_config('pgd,deepfool', {})


def test_autoattack_reports_each_attack_of_its_cascade(monkeypatch):
    logits_fn = small_net(10)
    images, labels = correctly_classified(logits_fn, n=4)
    pool, predicted = correctly_classified(logits_fn, n=256)
    other = pool[predicted != labels[0]][0]  # an image the model puts in another class than sample 0's
    sizes = []

    def breaks_first(name):
        def perturb(self, x, y, *args, **kwargs):
            sizes.append((name, x.size(0)))
            if name != 'apgd-ce':
                return x.clone()
            out = x.clone()  # APGD-CE "breaks" sample 0
            out[0] = other
            return out
        return perturb

    for cls, name in ((APGDAttack, 'apgd-ce'), (APGDAttack_targeted, 'apgd-t'), (FABAttack_PT, 'fab-t'),
                      (SquareAttack, 'square')):
        monkeypatch.setattr(cls, 'perturb', breaks_first(name))
    attack = AutoAttack(eps=4)
    result = attack.run(logits_fn, images, labels)
    assert sizes == [('apgd-ce', 4), ('apgd-t', 3), ('fab-t', 3), ('square', 3)]  # the cascade, as the reference
    assert list(result.per_attack) == ['apgd-ce', 'apgd-t', 'fab-t', 'square'] and attack.mode == 'after'
    assert broken_by(result.logits, labels) == {0} == broken_by(result.per_attack['square'], labels)

    sizes.clear()
    individual = AutoAttack(eps=4, individual=True)
    result = individual.run(logits_fn, images, labels)
    assert sizes == [('apgd-ce', 4), ('apgd-t', 4), ('fab-t', 4), ('square', 4)] and individual.mode == 'by'
    assert broken_by(result.per_attack['apgd-ce'], labels) == {0}
    assert broken_by(result.per_attack['fab-t'], labels) == set()
    assert individual.threat_model()['individual'] is True


def test_autoattack_components_keep_the_standard_settings():
    components = AutoAttack(eps=4, seed=3).components()
    assert [name for name, _ in components] == ['apgd-ce', 'apgd-t', 'fab-t', 'square']
    square = dict(components)['square']
    adversary = square.build(lambda x: x, torch.device('cpu'))
    assert adversary.attacks_to_run == ['square'] and adversary.square.n_queries == 5000 and adversary.seed == 3
    assert square.black_box and not dict(components)['apgd-ce'].black_box
    apgd_ce = dict(components)['apgd-ce'].build(lambda x: x, torch.device('cpu'))
    assert (apgd_ce.apgd.n_restarts, apgd_ce.apgd.n_iter) == (1, 100)  # standard's, not the custom version's 5
    with pytest.raises(ValueError, match=r"subset \['apgd-dlr'\] is not among the attacks of AutoAttack \(standard\)"):
        AutoAttack(subset=['apgd-dlr'])


def test_square_is_autoattacks_square_and_breaks_an_undefended_model():
    logits_fn = small_net(10)
    images, labels = correctly_classified(logits_fn)
    settings = ('p_init', 'n_queries', 'rescale_schedule', 'n_restarts', 'norm', 'eps', 'seed', 'loss', 'targeted')
    reference = AutoAttack(eps=4, seed=2).build(logits_fn, torch.device('cpu')).square
    built = Square(eps=4, seed=2).build(logits_fn, torch.device('cpu'))
    assert [getattr(built, s) for s in settings] == [getattr(reference, s) for s in settings]
    square = Square(eps=64, n_queries=300, seed=1)
    assert Square().threat_model() == dict(attack='Square', norm='linf', eps=4.0, eps_01=pytest.approx(4 / 255),
                                          eps_255=pytest.approx(4.0), n_queries=5000, p_init=0.8, restarts=1, seed=0,
                                          keep='misclassified')
    state = torch.get_rng_state()
    adversarial = square(logits_fn, images, labels)
    assert torch.equal(torch.get_rng_state(), state)
    assert (adversarial - images).abs().max() <= 64 / 255 + 1e-6
    with torch.no_grad():
        assert (logits_fn(adversarial).argmax(1) != labels).all()
    assert isinstance(square, BaseAttack) and square.black_box and not PGD().black_box


def test_custom_autoattack_components_and_two_component_ensembles():
    autoattack = AutoAttack(eps=4, version='custom', attacks=['apgd-ce', 'square'], seed=3)
    autoattack.used_target_classes = dict(apgd_t=2)  # as fitted to a model of 3 classes
    components = autoattack.components()
    assert [name for name, _ in components] == ['apgd-ce', 'square']
    for name, component in components:
        assert (component.version, component.attacks, component.subset) == ('custom', ['apgd-ce', 'square'], [name])
        assert component.used_target_classes == dict(apgd_t=2)
    multi = MultiAttack([autoattack, dict(type='PGD', eps=4)], names=['aa', 'pgd'], individual=True)
    assert [name for name, _ in multi.members] == ['apgd-ce', 'square', 'pgd']  # two components are split too
    model = multi.threat_model()
    assert (model['individual'], model['keep'], list(model['attacks'])) == (True, 'misclassified',
                                                                           ['apgd-ce', 'square', 'pgd'])
    assert MultiAttack([dict(type='PGD', eps=4, keep='loss')]).threat_model()['keep'] == 'loss'
    single = MultiAttack([AutoAttack(eps=4, subset=['apgd-ce'])], names=['mine'])  # one component: kept whole
    assert [name for name, _ in single.members] == ['mine']
    with pytest.raises(ValueError, match='^MultiAttack needs at least one attack$'):
        MultiAttack([])


def test_square_settings_reach_the_reference_attack(monkeypatch):
    square = Square(eps=0.5, norm='l2', n_queries=7, p_init=0.3, restarts=2, seed=5)
    built = square.build(lambda x: x, torch.device('cpu'))
    assert (built.norm, built.eps, built.n_queries, built.p_init, built.n_restarts, built.seed) == (
        'L2', 0.5, 7, 0.3, 2, 5)
    assert (built.verbose, built.rescale_schedule, built.device) == (False, False, torch.device('cpu'))
    seen = []

    class Spy:
        def perturb(self, images, labels):
            seen.append(labels)
            return images + 1

    monkeypatch.setattr(Square, 'build', lambda self, logits_fn, device: seen.append(device) or Spy())
    images, labels = torch.zeros(2, 3, 4, 4), torch.tensor([1, 0])
    assert torch.equal(square(lambda x: x, images, labels), images + 1)
    assert seen[0] == images.device and seen[1] is labels
    for bad, message in [(dict(n_queries=0), r'^Square needs n_queries >= 1 and restarts >= 1, got 0, 1$'),
                         (dict(restarts=0), 'got 5000, 0$'), (dict(norm='l1'), 'norm must be one of')]:
        with pytest.raises(ValueError, match=message):
            Square(**bad)
    Square(n_queries=1)  # one query is enough to be an attack
