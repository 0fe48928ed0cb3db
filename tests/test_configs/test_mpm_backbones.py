"""MPM of every backbone: its own stage-1 checkpoint, its own optimizer, and a deployed model that is exactly the
plain classifier of configs/baseline/ (ResNet-50, ConvNeXt-T, Swin-T at full size, random weights)."""
import pytest
import torch
from mmengine.runner import Runner

from mmpart.models.utils import mpm_to_cls_checkpoint
from mmpart.utils.checkpoint_match import CheckpointMismatchError, state_dict_mismatch

from .conftest import load_config

BACKBONES = ['r50', 'convnext-t', 'swin-t']
INPUT_SIZE = {'r50': 32, 'convnext-t': 32, 'swin-t': 224}  # Swin's windows need 7x7 tokens at the last stage


@pytest.mark.parametrize('backbone', BACKBONES)
def test_stage_two_loads_its_own_stage_one_checkpoint(backbone, build_model):
    stage2 = load_config(f'mpm/mpm_{backbone}')
    assert stage2.load_from == f'work_dirs/mpm_{backbone}_init/epoch_1.pth'  # tools/train.py's default work dir
    stage1 = load_config(f'mpm/mpm_{backbone}_init')
    assert stage1.train_cfg.max_epochs == 1 and stage1.get('load_from') is None
    assert stage1.model.get('attack') is None and stage1.model.backbone.init_cfg.type == 'Pretrained'
    assert state_dict_mismatch(build_model(f'mpm/mpm_{backbone}').state_dict(),
                               build_model(f'mpm/mpm_{backbone}_init').state_dict()) == {}


@pytest.mark.parametrize('name', ['mpm/mpm_convnext-t', 'mpm/mpm_swin-t', 'baseline/baseline_convnext-t',
                                  'baseline/baseline_swin-t'])
def test_transformer_era_backbones_use_their_adamw_recipe(name):
    """mmpretrain's ConvNeXt / Swin recipes: AdamW, 5e-4 per 512 images, wd 0.05, 20 warm-up epochs from 1e-3."""
    cfg = load_config(name)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.lr == 5e-4 and optimizer.weight_decay == 0.05
    assert 'momentum' not in optimizer and cfg.auto_scale_lr.base_batch_size == 512
    assert cfg.optim_wrapper.paramwise_cfg.norm_decay_mult == cfg.optim_wrapper.paramwise_cfg.flat_decay_mult == 0
    assert (cfg.optim_wrapper.get('clip_grad') or {}).get('max_norm') == (5.0 if 'swin' in name else None)
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 1e-3, 20)
    assert (cosine.type, cosine.begin, cosine.end, cosine.eta_min) == ('CosineAnnealingLR', 20, 80, 1e-5)
    assert cfg.train_cfg.max_epochs == 80


def test_another_backbone_refuses_the_resnet_stage_one_checkpoint(build_model, tmp_path):
    """The mistake a new-backbone config inheriting mpm_r50.py used to make silently: load_from the ResNet stage 1."""
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=build_model('mpm/mpm_r50_init').state_dict(), meta=dict()), checkpoint)
    cfg = load_config('mpm/mpm_convnext-t')
    cfg.load_from, cfg.work_dir = str(checkpoint), str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    before = {key: value.clone() for key, value in runner.model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=rf'{checkpoint}.*\n.*missing.*backbone\.downsample_layers'):
        runner.load_or_resume()
    after = runner.model.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)  # nothing was loaded


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Random values in every floating tensor (norms too, which initialise to the identity)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                offset = 0.95 if tensor.dim() == 1 else -0.05  # norm scales, variances, biases near 1
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.1 + offset)


def run_recording_modules(model: torch.nn.Module, inputs: torch.Tensor) -> tuple:
    """The model's tensor-mode output and the names of the modules that ran."""
    names, handles = set(), []
    for name, module in model.named_modules():
        handles.append(module.register_forward_hook(lambda m, i, o, name=name: names.add(name)))
    try:
        with torch.no_grad():
            return model(inputs), names
    finally:
        for handle in handles:
            handle.remove()


@pytest.mark.parametrize('backbone', BACKBONES)
def test_deployed_mpm_is_the_plain_classifier(backbone, build_model):
    """README: the exported checkpoint loads strictly into configs/baseline/baseline_<backbone>.py (the last stage
    only), gives the MPM model's logits, and the MPM model runs no module at inference the plain model lacks."""
    mpm, plain = build_model(f'mpm/mpm_{backbone}').eval(), build_model(f'baseline/baseline_{backbone}').eval()
    randomise(mpm, seed=BACKBONES.index(backbone))
    converted, description = mpm_to_cls_checkpoint(dict(state_dict=mpm.state_dict()),
                                                   load_config(f'mpm/mpm_{backbone}').model)
    plain.load_state_dict(converted['state_dict'], strict=True)
    bypass_only_norms = backbone != 'r50'  # mmpretrain's ConvNeXt / Swin add a norm per extra output
    assert ('backbone.norm1, backbone.norm2' in description) == bypass_only_norms
    assert sum(p.numel() for p in mpm.parameters()) > sum(v.numel() for v in converted['state_dict'].values()
                                                          if v.is_floating_point()) >= sum(
                                                              p.numel() for p in plain.parameters())

    size = INPUT_SIZE[backbone]
    inputs = torch.rand(2 if size < 224 else 1, 3, size, size, generator=torch.Generator().manual_seed(0))
    expected, ran = run_recording_modules(mpm, inputs)
    with torch.no_grad():
        logits = plain(inputs)
    assert expected.std() > 0 and torch.allclose(logits, expected, rtol=0, atol=1e-6)
    assert ran <= {name for name, _ in plain.named_modules()}
