"""One strict check for every loading path: a checkpoint must fit the model as the model's own loading sees it
(its key conversions applied), or the load stops with one message that says what the checkpoint is."""
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from mmpart.analysis.part_discovery_report import load_backbone_model
from mmpart.apis import init_model
from mmpart.pseudo_label import init_part_detector
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules
from mmpart.utils.checkpoint_match import (
                                           CheckpointMismatchError,
                                           check_checkpoint_fits,
                                           load_checkpoint_exactly,
                                           model_state_dict_mismatch,
                                           state_dict_mismatch,
)
from mmpart.utils.run_config import use_checkpoint

REPO = Path(__file__).resolve().parents[2]
MPM_R18 = str(REPO / 'configs' / 'mpm' / 'mpm_r18_synthetic.py')
BASELINE_R18 = str(REPO / 'configs' / 'baseline' / 'baseline_r18_synthetic.py')
BYPASS_R18 = str(REPO / 'configs' / 'partseg' / 'mpm-bypass_r18_synthetic-pinpp.py')
TINY_DET = str(REPO / 'tests' / 'test_partseg' / 'configs' / 'mask-rcnn_r18_tiny_pinpp.py')


class RenamesOnLoad(nn.Module):
    """Loads checkpoints whose keys say ``old.`` for its ``new.`` (as MPMBypassSegmentor loads MPM checkpoints)."""

    def __init__(self):
        super().__init__()
        self.new = nn.Linear(2, 3)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for key in [k for k in state_dict if k.startswith(prefix + 'old.')]:
            state_dict[prefix + 'new.' + key[len(prefix + 'old.'):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class ReshapesOnLoad(nn.Module):
    """Reshapes a flat checkpoint tensor in a load pre-hook (as a ViT resizes its position embedding)."""

    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(torch.zeros(2, 3))
        self.register_load_state_dict_pre_hook(
            lambda module, state, prefix, *_: state.update({prefix + 'table': state[prefix + 'table'].view(2, 3)}))


def checkpoint_of(model: nn.Module, **meta) -> dict:
    return dict(state_dict=model.state_dict(), meta=meta)


def build(config: str) -> nn.Module:
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmpart'):
        return MODELS.build(Config.fromfile(config).model)


@pytest.fixture(scope='module')
def r18_checkpoints(tmp_path_factory):
    """Checkpoints (random weights) of the synthetic MPM and baseline, as `make demo` writes them."""
    root = tmp_path_factory.mktemp('checkpoints')
    paths = {}
    for name, config in (('mpm', MPM_R18), ('baseline', BASELINE_R18)):
        paths[name] = str(root / f'{name}.pth')
        torch.save(checkpoint_of(build(config), experiment_name=f'{name}_r18_synthetic_20261207_101010'), paths[name])
    return paths


def test_the_models_own_conversions_apply_before_the_comparison():
    renamed = {'old.weight': torch.ones(3, 2), 'old.bias': torch.ones(3)}
    assert state_dict_mismatch(RenamesOnLoad().state_dict(), renamed)  # key by key it would not fit
    assert model_state_dict_mismatch(RenamesOnLoad(), renamed) == {}
    assert model_state_dict_mismatch(ReshapesOnLoad(), {'table': torch.ones(6)}) == {}
    assert model_state_dict_mismatch(ReshapesOnLoad(), {'table': torch.ones(6, 1)}) == {}  # viewed to 2x3
    assert model_state_dict_mismatch(RenamesOnLoad(), {'old.weight': torch.ones(4, 2), 'old.bias': torch.ones(3)}) \
        == {'shape mismatch': ['new.weight (4, 2) (model (3, 2))']}


def test_the_check_leaves_the_model_untouched():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    other = {k: v + 1 for k, v in model.state_dict().items()}
    check_checkpoint_fits(model, dict(state_dict=other), 'checkpoint fits.pth')
    with pytest.raises(CheckpointMismatchError):
        check_checkpoint_fits(model, dict(state_dict={**other, 'extra': torch.ones(1)}), 'checkpoint extra.pth')
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(not m._load_state_dict_pre_hooks for m in model.modules())


def test_load_exactly_loads_and_returns_the_meta(tmp_path):
    source, target = RenamesOnLoad(), RenamesOnLoad()
    torch.save(dict(state_dict={f'old.{k}': v for k, v in source.new.state_dict().items()},
                    meta=dict(dataset_meta=dict(classes=['a']))), tmp_path / 'ok.pth')
    checkpoint = load_checkpoint_exactly(target, str(tmp_path / 'ok.pth'))
    assert checkpoint['meta']['dataset_meta'] == dict(classes=['a'])
    assert torch.equal(target.new.weight, source.new.weight) and torch.equal(target.new.bias, source.new.bias)


def test_an_mpm_checkpoint_for_a_plain_classifier_names_the_converter(r18_checkpoints):
    with pytest.raises(CheckpointMismatchError) as error:
        init_model(BASELINE_R18, r18_checkpoints['mpm'])
    message = str(error.value)
    assert message.startswith(f'checkpoint {r18_checkpoints["mpm"]} does not fit the AdvImageClassifier of the '
                              'config:\n  unexpected (28): part_head.')
    assert 'It is an MPM checkpoint' in message and 'tools/model_converters/mpm_to_cls.py' in message
    assert 'saved by the run mpm_r18_synthetic_20261207_101010' in message
    assert 'the CHECKPOINT argument of the tools, load_from in a config' in message


def test_a_plain_checkpoint_for_an_mpm_names_the_converter_too(r18_checkpoints):
    with pytest.raises(CheckpointMismatchError) as error:
        init_model(MPM_R18, r18_checkpoints['baseline'])
    message = str(error.value)
    assert '\n  missing (25): part_head.' in message
    assert 'the checkpoint has no bypass' in message and 'tools/model_converters/mpm_to_cls.py' in message


def test_another_backbones_checkpoint_is_refused_not_loaded_at_random(r18_checkpoints):
    """The issue's case: README's R-50 MPM config with `make demo`'s R-18 checkpoint (mmengine loaded it
    non-strictly, and a random R-50 ran into an IndexError)."""
    with pytest.raises(CheckpointMismatchError) as error:
        init_model(str(REPO / 'configs' / 'mpm' / 'mpm_r50.py'), r18_checkpoints['mpm'])
    message = str(error.value)
    assert 'shape mismatch (127): backbone.conv1.weight (32, 3, 7, 7) (model (64, 3, 7, 7))' in message
    assert 'mpm_to_cls' not in message  # both are MPMs: the converter is not the answer


def test_the_bypass_segmentor_loads_an_mpm_checkpoint_through_its_conversion(r18_checkpoints):
    segmentor = init_model(BYPASS_R18, r18_checkpoints['mpm'])
    weights = torch.load(r18_checkpoints['mpm'])['state_dict']
    for key, value in segmentor.decode_head.state_dict().items():
        assert torch.equal(value, weights[f'part_head.{key}'])


def test_image_demo_refuses_before_inference(r18_checkpoints, tmp_path, monkeypatch, capsys):
    image = tmp_path / 'img.png'
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    demo = str(REPO / 'demo' / 'image_demo.py')
    monkeypatch.setattr(sys, 'argv', [demo, str(image), BASELINE_R18, r18_checkpoints['mpm']])
    with pytest.raises(SystemExit) as stop:  # the message alone, as for a missing config (run_tool)
        runpy.run_path(demo, run_name='__main__')
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: checkpoint {r18_checkpoints["mpm"]} does not fit') and 'mpm_to_cls' in err
    assert 'Traceback' not in err


def test_part_discovery_refuses_a_checkpoint_of_another_model(r18_checkpoints):
    load_backbone_model(MPM_R18, r18_checkpoints['mpm'], stage=2)
    with pytest.raises(CheckpointMismatchError, match='It is an MPM checkpoint'):
        load_backbone_model(BASELINE_R18, r18_checkpoints['mpm'], stage=2)


def test_the_pseudo_labelling_detector_is_refused_a_checkpoint_that_misses_layers(tmp_path):
    model = build(TINY_DET)
    state = model.state_dict()
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=dict(classes=['x', 'y']))), tmp_path / 'det.pth')
    assert init_part_detector(TINY_DET, str(tmp_path / 'det.pth')).dataset_meta == dict(classes=['x', 'y'],
                                                                                        palette='random')
    del state['roi_head.mask_head.conv_logits.weight']
    torch.save(dict(state_dict=state), tmp_path / 'partial.pth')
    with pytest.raises(CheckpointMismatchError, match=r'missing \(1\): roi_head.mask_head.conv_logits.weight'):
        init_part_detector(TINY_DET, str(tmp_path / 'partial.pth'))
    # no checkpoint (benchmarks/gpu_check.py trains one from the config's weights): nothing loaded, no names
    assert init_part_detector(TINY_DET, None).dataset_meta == dict(palette='random')


def test_tests_of_configs_without_the_hook_get_it():
    cfg = use_checkpoint(Config.fromfile(TINY_DET), 'det.pth')  # mmdet's runtime: no StrictLoadHook of its own
    assert cfg.load_from == 'det.pth' and cfg.default_hooks.strict_load == dict(type='mmpart.StrictLoadHook')
    off = Config.fromfile(TINY_DET)
    off.default_hooks.strict_load = None
    assert use_checkpoint(off, 'det.pth').default_hooks.strict_load is None


def test_part_discovery_refuses_a_stage_whose_output_norm_was_not_trained(tmp_path):
    """ConvNeXt normalises only its out_indices' outputs: another stage has no trained norm to use."""
    options = {'model.backbone.arch': 'atto', 'model.head.in_channels': 320}
    cfg = Config.fromfile(str(REPO / 'configs' / 'baseline' / 'baseline_convnext-t.py'))
    cfg.merge_from_dict(options)
    with DefaultScope.overwrite_default_scope('mmpart'):
        torch.save(checkpoint_of(MODELS.build(cfg.model)), tmp_path / 'convnext.pth')
    load_backbone_model(cfg.filename, str(tmp_path / 'convnext.pth'), stage=3, cfg_options=options)
    with pytest.raises(ValueError, match=r'stage 2 has no trained output norm: pick one of \(3,\)'):
        load_backbone_model(cfg.filename, str(tmp_path / 'convnext.pth'), stage=2, cfg_options=options)
