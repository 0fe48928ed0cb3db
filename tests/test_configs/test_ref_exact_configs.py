"""Each `_ref-exact` config differs from the config it reproduces the reference recipe of exactly in the settings
its comment and the families' README tables list, with the reference's values, and those settings reach what is
built (model, optimizer, hooks)."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

from .conftest import CONFIGS
from .test_ablation_configs import flatten

ATTACK, HEAD = 'model.attack.', 'model.part_head.'
PIN_RAMP = [dict(type='AttackStepRampHook', warmup_epochs=2, by_epoch=True),
            dict(type='EMAHook', momentum=2e-4, update_buffers=True)]
AWP = dict(type='AdversarialWeightPerturbationHook', gamma=1e-2, warmup_epochs=0, loss='plain_ce')
#: the recipes' batch augments (data preprocessor) without random erasing
NO_ERASING = {'data_preprocessor.pixel_augments': [
    dict(type='BatchColorJitter', brightness=0.1, contrast=0.1, saturation=0.1)]}
UNSET = '<unset>'
EMA_ONLY = [dict(type='EMAHook', momentum=2e-4, update_buffers=True)]
#: the TRADES code's attack start and plain cross entropy on the natural term, in place of the default's
TRADES = {ATTACK + 'start_noise': 'gaussian', ATTACK + 'start_std': 0.001, 'model.head.loss.type': 'CrossEntropyLoss',
          'model.head.loss.loss_weight': 1.0, 'model.head.loss.label_smooth_val': UNSET, 'model.head.loss.mode': UNSET,
          'custom_hooks': EMA_ONLY}
#: Wong et al.'s fast-AT recipe in place of the default's (pipelines and hooks are checked by fast_at_phases)
PLAIN_CE = {'model.head.loss.type': 'CrossEntropyLoss', 'model.head.loss.loss_weight': 1.0,
            'model.head.loss.label_smooth_val': UNSET, 'model.head.loss.mode': UNSET}
FAST_AT = {ATTACK + 'clamp_in_graph': True, 'model.attack_mode': 'train', **PLAIN_CE,
           'optim_wrapper.optimizer.lr': 0.4, 'optim_wrapper.optimizer.nesterov': False,
           'optim_wrapper.paramwise_cfg.bias_decay_mult': UNSET, 'param_scheduler': None, 'train_cfg.max_epochs': 15,
           'train_dataloader.dataset.pipeline': 'fast-at', 'train_pipeline': 'fast-at', 'custom_hooks': 'fast-at',
           'data_preprocessor.pixel_augments': None}
#: Shafahi et al.'s free-AT recipe in place of the default's: 23 epochs, lr 0.1 per 256 / 10 every 8 epochs, fp32
FREE_AT = {**PLAIN_CE, 'auto_scale_lr.base_batch_size': 256, 'custom_hooks': [],
           'optim_wrapper.type': 'OptimWrapper', 'optim_wrapper.loss_scale': UNSET,
           'optim_wrapper.optimizer.lr': 0.1, 'optim_wrapper.optimizer.nesterov': UNSET,
           'optim_wrapper.paramwise_cfg.bias_decay_mult': UNSET, 'optim_wrapper.paramwise_cfg.norm_decay_mult': UNSET,
           'param_scheduler': [dict(type='MultiStepLR', by_epoch=True, milestones=[8, 16], gamma=0.1)],
           'train_cfg.max_epochs': 23, 'train_dataloader.batch_size': 32,
           'train_dataloader.dataset.pipeline': 'crop-flip', 'train_pipeline': 'crop-flip',
           'data_preprocessor.pixel_augments': None}
TORCHVISION_RESNET = {'model.backbone.act_cfg.type': 'ReLU', 'model.backbone.act_cfg.inplace': True,
                      'model.backbone.init_cfg': None, 'model.backbone.init_cfg.type': UNSET,
                      'model.backbone.init_cfg.checkpoint': UNSET}
TORCHVISION_HEAD = {'model.head.init_cfg.type': 'Pretrained',
                    'model.head.init_cfg.checkpoint': 'torchvision://ResNet50_Weights.IMAGENET1K_V2'}
#: ref-exact config → (the config it reproduces the reference of, {changed flattened key: reference value})
CLAIMS = {
    'mpm/mpm_r50_init_ref-exact': ('mpm/mpm_r50_init', {
        'model.backbone.frozen_norm_eval': False, HEAD + 'num_points': None, HEAD + 'mask_resize': 'nearest'}),
    'mpm/mpm_r50_ref-exact': ('mpm/mpm_r50', {
        ATTACK + 'label_smoothing': 0.1, ATTACK + 'keep': 'batch_loss', HEAD + 'num_points': None,
        HEAD + 'mask_resize': 'nearest', 'load_from': 'work_dirs/mpm_r50_init_ref-exact/epoch_1.pth',
        **NO_ERASING, 'custom_hooks': PIN_RAMP}),
    'baseline/baseline_r50_ref-exact': ('baseline/baseline_r50', {
        ATTACK + 'label_smoothing': 0.1, ATTACK + 'keep': 'batch_loss', **TORCHVISION_HEAD,
        **NO_ERASING, 'custom_hooks': PIN_RAMP}),
    'mpm/mpm_r50_trades_ref-exact': ('mpm/mpm_r50_trades', {
        **TRADES, HEAD + 'num_points': None, HEAD + 'mask_resize': 'nearest',
        'load_from': 'work_dirs/mpm_r50_init_ref-exact/epoch_1.pth', **NO_ERASING}),
    'baseline/baseline_r50_trades_ref-exact': ('baseline/baseline_r50_trades', {
        **TRADES, **TORCHVISION_HEAD, **NO_ERASING}),
    'mpm/mpm_r50_fast-at_ref-exact': ('mpm/mpm_r50_fast-at', {
        **FAST_AT, HEAD + 'num_points': None, HEAD + 'mask_resize': 'nearest', 'load_from': None}),
    'baseline/baseline_r50_fast-at_ref-exact': ('baseline/baseline_r50_fast-at', {**FAST_AT, **TORCHVISION_RESNET}),
    'mpm/mpm_r50_free-at_ref-exact': ('mpm/mpm_r50_free-at', {
        **FREE_AT, HEAD + 'num_points': None, HEAD + 'mask_resize': 'nearest', 'load_from': None}),
    'baseline/baseline_r50_free-at_ref-exact': ('baseline/baseline_r50_free-at', {**FREE_AT, **TORCHVISION_RESNET}),
    'mpm/mpm_r50_awp_ref-exact': ('mpm/mpm_r50_awp', {
        ATTACK + 'label_smoothing': 0.1, ATTACK + 'keep': 'batch_loss', HEAD + 'num_points': None,
        HEAD + 'mask_resize': 'nearest', 'load_from': 'work_dirs/mpm_r50_init_ref-exact/epoch_1.pth',
        **NO_ERASING, 'custom_hooks': [*PIN_RAMP, AWP]}),
    'mpm/mpm_r50_1-scale_ref-exact': ('mpm/mpm_r50_ref-exact', {
        HEAD + 'in_channels': [2048], HEAD + 'in_index': [2], HEAD + 'target_upsample': 1}),
    'mpm/mpm_r50_2-scales_ref-exact': ('mpm/mpm_r50_ref-exact', {
        HEAD + 'in_channels': [1024, 2048], HEAD + 'in_index': [1, 2], HEAD + 'target_upsample': 1}),
    'baseline/baseline_r50_awp_ref-exact': ('baseline/baseline_r50_awp', {
        ATTACK + 'label_smoothing': 0.1, ATTACK + 'keep': 'batch_loss', **TORCHVISION_HEAD,
        **NO_ERASING, 'custom_hooks': [*PIN_RAMP, AWP]}),
}


def load(name: str) -> Config:
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


@pytest.mark.parametrize('name', sorted(CLAIMS))
def test_ref_exact_differs_from_its_default_exactly_in_the_reference_settings(name):
    default_name, claims = CLAIMS[name]
    default, exact = flatten(load(default_name).to_dict()), flatten(load(name).to_dict())
    changed = {k for k in set(default) | set(exact) if default.get(k, UNSET) != exact.get(k, UNSET)}
    assert changed == set(claims)
    for key, value in claims.items():
        if value == 'fast-at':
            continue  # test_fast_at_phases_and_learning_rate
        elif value == 'crop-flip':  # main_free.py: RandomResizedCrop(224) (bilinear) and flip only
            assert [(t['type'], t.get('scale'), t.get('interpolation')) for t in exact[key]] == [
                ('LoadImageFromFile', None, None), ('LoadPartMask', None, None),
                ('JointRandomResizedCrop', 224, 'bilinear'), ('RandomFlip', None, None), ('PackPartInputs', None, None)]
        else:
            assert exact.get(key, UNSET) == value, key


def build(cfg: Config):
    register_all_modules()
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpart'):
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('name', ['mpm/mpm_r50_ref-exact', 'mpm/mpm_r50_init_ref-exact', 'baseline/baseline_r50',
                                  'mpm/mpm_r50'])
def test_pin_recipes_use_nesterov_sgd_without_decay_on_norms_and_biases(name):
    # timm's create_optimizer_v2(opt='sgd') is SGD(nesterov=True) with norms and biases in a group without decay
    cfg = load(name)
    model = build(cfg)
    cfg.optim_wrapper.type = 'OptimWrapper'  # AmpOptimWrapper needs a GPU; the optimizer is the same
    cfg.optim_wrapper.pop('loss_scale', None)
    with DefaultScope.overwrite_default_scope('mmpart'):
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert all(group['nesterov'] and group['momentum'] == 0.9 for group in optimizer.param_groups)
    decay = {id(p): g['weight_decay'] for g in optimizer.param_groups for p in g['params']}
    for param_name, param in model.named_parameters():
        if not param.requires_grad:  # stage 1's frozen backbone
            continue
        assert decay[id(param)] == (0.0 if param.dim() <= 1 else 1e-4), param_name


def test_pin_ref_exact_options_reach_the_model():
    model = build(load('mpm/mpm_r50_ref-exact'))
    assert (model.attack.label_smoothing, model.attack.keep, model.attack.steps) == (0.1, 'batch_loss', 2)
    assert (model.part_head.mask_resize, model.part_head.num_points) == ('nearest', None)
    init = build(load('mpm/mpm_r50_init_ref-exact'))
    init.train()
    assert init.backbone.frozen_stages == 4 and init.backbone.layer3.training and init.backbone.norm1.training
    assert not any(p.requires_grad for p in init.backbone.parameters())


def test_trades_ref_exact_options_reach_the_model():
    for name in ('mpm/mpm_r50_trades_ref-exact', 'baseline/baseline_r50_trades_ref-exact'):
        model = build(load(name))
        a = model.attack
        assert (a.start_noise, a.start_std, a.loss_name, a.keep) == ('gaussian', 0.001, 'kl', 'last')
        assert model.robust_loss.beta == 6.0
        logits, labels = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
        plain = torch.nn.functional.cross_entropy(logits, labels)  # F.cross_entropy, no smoothing, as trades.py
        torch.testing.assert_close(model.head.loss_module(logits, labels), plain)


def fast_at_phases(cfg: Config) -> list:
    """(first epoch, batch over 8 GPUs, short side resized to, crop) per phase, and the augmentations left."""
    phases = [dict(begin=0, dataloader=cfg.train_dataloader)]
    resizing = [hook for hook in cfg.custom_hooks if hook.type == 'ProgressiveResizingHook']
    phases += resizing[0].phases
    out = []
    for phase in phases:
        pipeline = phase['dataloader'].get('dataset', cfg.train_dataloader.dataset)['pipeline']
        by_type = {t['type']: t for t in pipeline}
        resize = by_type.get('JointResizeEdge')
        crop = by_type['JointRandomResizedCrop']
        assert crop['interpolation'] == 'bilinear' and (resize is None or resize['interpolation'] == 'bicubic')
        assert [t['type'] for t in pipeline if t['type'] not in ('JointResizeEdge', 'JointRandomResizedCrop')] == [
            'LoadImageFromFile', 'LoadPartMask', 'RandomFlip', 'PackPartInputs']  # no colour jitter, no erasing
        out.append((phase['begin'], 8 * phase['dataloader'].get('batch_size', cfg.train_dataloader.batch_size),
                    resize and resize['scale'], crop['scale']))
    return out


@pytest.mark.parametrize('name', ['mpm/mpm_r50_fast-at_ref-exact', 'baseline/baseline_r50_fast-at_ref-exact'])
def test_fast_at_phases_and_learning_rate(name):
    # configs_fast_4px_phase{1,2,3}.yml on ~/imagenet-sz/160, 352 and full size (run_fast_4px.sh, resize.py)
    cfg = load(name)
    assert cfg.train_pipeline == cfg.train_dataloader.dataset.pipeline
    assert fast_at_phases(cfg) == [(0, 512, 160, 128), (6, 224, 352, 224), (12, 128, None, 288)]
    lr = [hook for hook in cfg.custom_hooks if hook.type == 'PiecewiseLinearLRHook']
    assert [dict(hook) for hook in lr] == [dict(type='PiecewiseLinearLRHook', epochs=[0, 1, 6, 12, 15],
                                               values=[0.0, 0.4, 0.04, 0.004, 0.0004])]
    assert len(cfg.custom_hooks) == 2 and cfg.param_scheduler is None  # no EMA, no ramp, no other schedule
    model = build(cfg)
    assert model.attack_mode == 'train' and model.attack.clamp_in_graph and model.attack.keep == 'last'
    assert (model.attack.eps, model.attack.step_size, model.attack.steps) == (4, 5, 1)
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg.optim_wrapper.pop('loss_scale', None)
    with DefaultScope.overwrite_default_scope('mmpart'):
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert not any(group['nesterov'] for group in optimizer.param_groups)
    decay = {id(p): g['weight_decay'] for g in optimizer.param_groups for p in g['params']}
    norms = {id(p) for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
             for p in m.parameters()}
    for param_name, param in model.named_parameters():  # main_fast.py: no decay on BatchNorm only (fc.bias decays)
        assert decay[id(param)] == (0.0 if id(param) in norms else 1e-4), param_name
    if name.startswith('baseline/'):  # torchvision's resnet50: ReLU
        assert isinstance(model.backbone.relu, torch.nn.ReLU) and isinstance(model.backbone.layer1[0].relu,
                                                                            torch.nn.ReLU)


@pytest.mark.parametrize('name', ['mpm/mpm_r50_free-at_ref-exact', 'baseline/baseline_r50_free-at_ref-exact'])
def test_free_at_decays_every_parameter_with_plain_momentum(name):
    cfg = load(name)
    model = build(cfg)
    with DefaultScope.overwrite_default_scope('mmpart'):
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer  # fp32: no AMP, builds on a CPU
    assert all(not g['nesterov'] and g['momentum'] == 0.9 and g['weight_decay'] == 1e-4
               for g in optimizer.param_groups)  # main_free.py: SGD(model.parameters(), ...)
    assert sum(len(g['params']) for g in optimizer.param_groups) == len(list(model.parameters()))
    assert type(model.attack).__name__ == 'FreePerturbation' and cfg.train_cfg.replays == 4
    assert (model.attack.eps, model.attack.step_size) == (4, 4)


@pytest.mark.parametrize('name,sizes', [('mpm_r50_1-scale_ref-exact', [2]), ('mpm_r50_2-scales_ref-exact', [4, 2])])
def test_scale_ablations_take_the_references_targets(name, sizes):
    # mixup_seg: F.interpolate(mask, size=output_size[0], mode='nearest'), one-hot smoothed at that size, bilinear
    # down to the next; the finest target is given as ids (the focal loss smooths them)
    register_all_modules()
    cfg = load(f'mpm/{name}').model.part_head
    cfg.update(num_classes=11)
    head = MODELS.build(cfg)
    seen = []
    head.loss_decode.register_forward_pre_hook(lambda module, args: seen.append(args[1]))
    mask = torch.randint(0, 11, (1, 32, 32), generator=torch.Generator().manual_seed(0))
    sample = DataSample().set_gt_label(0)
    sample.gt_sem_seg = PixelData(data=mask)
    torch.manual_seed(0)
    feats = [torch.rand(1, c, s, s) for c, s in ((512, 8), (1024, 4), (2048, 2))]
    maps = head(feats)
    assert [m.shape[-1] for m in maps] == sizes
    head.loss_by_feat(maps, [sample])
    reference = F.interpolate(mask[None].float(), size=sizes[0], mode='nearest')[0].long()
    assert torch.equal(seen[0], reference)


def test_baseline_ref_exact_starts_its_head_from_the_checkpoints_fc(tmp_path, monkeypatch):
    # the torchvision checkpoint's fc.* keys are the head's own keys: a checkpoint with torchvision's key layout
    # initialises the head (its other keys are left out)
    cfg = load('baseline/baseline_r50_ref-exact')
    checkpoint = tmp_path / 'resnet50_tv2.pth'
    torch.save({'conv1.weight': torch.zeros(64, 3, 7, 7), 'fc.weight': torch.full((1000, 2048), 0.5),
                'fc.bias': torch.arange(1000.0)}, checkpoint)
    cfg.model.head.init_cfg.checkpoint = str(checkpoint)
    cfg.model.backbone.init_cfg = None
    model = build(cfg)
    model.init_weights()
    assert torch.equal(model.head.fc.weight, torch.full((1000, 2048), 0.5))
    assert torch.equal(model.head.fc.bias, torch.arange(1000.0))
