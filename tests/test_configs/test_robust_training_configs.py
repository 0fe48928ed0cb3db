"""The synthetic TRADES, fast-AT, free-AT and AWP recipes train through the runner (a few iterations on the synthetic
set) with the step they configure; AWP runs before EMA and leaves no perturbation behind; free AT keeps the recipes'
number of optimizer steps."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpart.attacks import FreePerturbation
from mmpart.engine.hooks import AdversarialWeightPerturbationHook
from mmpart.engine.loops import MinibatchReplayTrainLoop
from mmpart.models import TwoStagePartClassifier
from mmpart.models.losses import TRADESLoss
from mmpart.utils import register_all_modules

from ..test_engine.tiny_classifier import one_thread
from ..test_tools.conftest import short_run_options

CONFIGS = Path(__file__).parents[2] / 'configs'


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


def short_run(name: str, data: Path, work_dir: Path, validate: bool = False) -> Runner:
    """One epoch of 2 iterations of the synthetic recipe ``name`` (``mpm/`` unless given), validated if asked."""
    register_all_modules()
    cfg = Config.fromfile(str(CONFIGS / f'{name if "/" in name else "mpm/" + name}.py'))
    options = dict(option.split('=', 1) for option in short_run_options(data))
    options.update({'train_cfg.max_epochs': '1', 'train_cfg.val_interval': '2'})
    cfg.merge_from_dict({k: int(v) if v.isdigit() else v for k, v in options.items()})
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].persistent_workers = False  # as tools/train.py sets it without workers
    if not validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_trades_recipe(synthetic_pinpp, tmp_path):
    runner = short_run('mpm_r18_synthetic_trades', synthetic_pinpp, tmp_path)
    model = runner.model
    assert isinstance(model.robust_loss, TRADESLoss) and model.robust_loss.beta == 6.0
    assert (model.attack.loss_name, model.attack.keep, model.attack.steps) == ('kl', 'last', 2)
    scalars = runner.message_hub.log_scalars
    assert {'train/loss_cls', 'train/loss_robust', 'train/loss_part_s0'} <= set(scalars)


def test_fast_at_recipe(synthetic_pinpp, tmp_path):
    runner = short_run('mpm_r18_synthetic_fast-at', synthetic_pinpp, tmp_path)
    attack = runner.model.attack
    assert (attack.steps, attack.step_size, attack.eps, attack.random_start, attack.keep) == (1, 5, 4, True, 'last')
    assert 'AttackStepRampHook' not in [type(h).__name__ for h in runner.hooks]


def test_awp_recipe(synthetic_pinpp, tmp_path):
    runner = short_run('mpm_r18_synthetic_awp', synthetic_pinpp, tmp_path)
    hooks = [type(h).__name__ for h in runner.hooks]
    assert hooks.index('AdversarialWeightPerturbationHook') < hooks.index('EMAHook')  # restored before EMA reads
    hook = next(h for h in runner.hooks if isinstance(h, AdversarialWeightPerturbationHook))
    assert hook.gamma == 5e-3 and hook.applied == [] and runner.model.weight_perturbation is None
    saved = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)['state_dict']
    # the checkpoint holds unperturbed weights: the EMA of them (EMAHook swaps it in), finite
    assert all(torch.isfinite(v).all() for v in saved.values() if v.is_floating_point())


def test_free_at_recipe(synthetic_pinpp, tmp_path):
    passes = []
    real_build = Runner.build_model

    def build_model(self, model):  # count the backbone's passes: training ones, and attack (eval) ones
        model = real_build(self, model)
        model.backbone.register_forward_pre_hook(lambda m, args: passes.append(m.training))
        return model

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Runner, 'build_model', build_model)
        runner = short_run('mpm_r18_synthetic_free-at', synthetic_pinpp, tmp_path)
    assert isinstance(runner.train_loop, MinibatchReplayTrainLoop) and runner.train_loop.replays == 4
    assert isinstance(runner.model.attack, FreePerturbation) and runner.model.attack.delta.abs().max() > 0
    assert runner.iter == 2 and passes == [True] * 8  # 4 steps per batch and no attack pass
    assert 'AttackStepRampHook' not in [type(h).__name__ for h in runner.hooks]


@pytest.mark.parametrize('family,name', [('mpm', 'mpm_r50'), ('baseline', 'baseline_r50')])
def test_free_at_takes_the_recipes_optimizer_steps(family, name):
    recipe = Config.fromfile(str(CONFIGS / family / f'{name}.py'))
    free = Config.fromfile(str(CONFIGS / family / f'{name}_free-at.py'))
    m = free.train_cfg.replays
    assert m == 4 and free.train_cfg.max_epochs * m == recipe.train_cfg.max_epochs
    # every scheduler phase, in optimizer steps, and the EMA horizon are the recipe's
    for ours, theirs in zip(free.param_scheduler, recipe.param_scheduler, strict=True):
        assert {k: v * m if k in ('begin', 'end', 'T_max') else v for k, v in ours.items()} == theirs
    ema = [h for h in free.custom_hooks if h.type == 'EMAHook']
    assert ema[0].momentum == pytest.approx(m * next(h for h in recipe.custom_hooks if h.type == 'EMAHook').momentum)
    assert free.model.attack.type == 'FreePerturbation' and free.model.attack.step_size == free.model.attack.eps


def test_two_stage_recipe(synthetic_pinpp, tmp_path):
    # the two-stage part model trains with the adversarial step and validates under PGD through both stages
    runner = short_run('two-stage/two-stage_r18_synthetic', synthetic_pinpp, tmp_path, validate=True)
    assert isinstance(runner.model, TwoStagePartClassifier) and runner.model.attack.steps == 2
    scalars = runner.message_hub.log_scalars
    assert {'train/loss_cls', 'train/loss_part_s0', 'val/accuracy/robust_top1'} <= set(scalars)


def test_fast_at_reference_options_train_an_mpm_through_the_runner(synthetic_pinpp, tmp_path):
    # the options of configs/mpm/mpm_r50_fast-at_ref-exact.py on the synthetic MPM: attack in train mode, start clamped
    # in the graph, the images resized at epoch 1 (64 → 32 px, the part maps following), the lr by fractional epoch
    ref_exact = Config.fromfile(str(CONFIGS / 'mpm' / 'mpm_r50_fast-at_ref-exact.py'))
    lr_hook = next(h for h in ref_exact.custom_hooks if h.type == 'PiecewiseLinearLRHook')
    small = [dict(t, scale=32) if t['type'] == 'JointRandomResizedCrop' else t
             for t in Config.fromfile(str(CONFIGS / 'mpm' / 'mpm_r18_synthetic.py')).train_pipeline]
    sizes = []

    def build_model(self, model):
        model = real_build(self, model)
        model.backbone.register_forward_pre_hook(lambda m, args: sizes.append((m.training, args[0].shape[-1])))
        return model

    real_build = Runner.build_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Runner, 'build_model', build_model)
        register_all_modules()
        cfg = Config.fromfile(str(CONFIGS / 'mpm' / 'mpm_r18_synthetic_fast-at.py'))
        options = dict(option.split('=', 1) for option in short_run_options(synthetic_pinpp))
        cfg.merge_from_dict({k: int(v) if v.isdigit() else v for k, v in options.items()})
        cfg.merge_from_dict({'model.attack_mode': ref_exact.model.attack_mode,
                             'model.attack.clamp_in_graph': ref_exact.model.attack.clamp_in_graph,
                             'model.part_head.mask_resize': ref_exact.model.part_head.mask_resize})
        cfg.param_scheduler = None
        cfg.custom_hooks = [dict(type='ProgressiveResizingHook', phases=[
                                dict(begin=1, dataloader=dict(batch_size=4, dataset=dict(pipeline=small)))]),
                            dict(lr_hook, epochs=[0, 1, 2], values=[0.0, 0.4, 0.04])]
        for loader in ('train_dataloader', 'val_dataloader'):
            cfg[loader].persistent_workers = False
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.work_dir = str(tmp_path)
        runner = Runner.from_cfg(cfg)
        runner.train()
    assert runner.model.attack_mode == 'train' and runner.model.attack.clamp_in_graph
    # every training-mode pass: 2 per iteration (the attack's, the step's); epoch 0 at 64 px, epoch 1 at 32 px
    assert sizes == [(True, 64)] * 4 + [(True, 32)] * 8
    assert runner.iter == 6 and runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.04)
