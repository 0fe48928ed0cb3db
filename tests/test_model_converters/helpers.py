"""Shared by the converter tests: run a converter script, randomise a source model, compare logits."""
import contextlib
import importlib.util
import runpy
import sys
import types
from pathlib import Path
from typing import Iterator, List
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]
#: tolerance of the logit comparisons: max |difference| relative to the logits' largest magnitude
RELATIVE_TOLERANCE = 1e-4


def run_converter(name: str, args: List[str], capsys=None) -> str:
    """Run ``tools/model_converters/<name>.py`` with ``args`` in this process; returns what it printed."""
    script = str(REPO / 'tools' / 'model_converters' / f'{name}.py')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [script, *map(str, args)])
        runpy.run_path(script, run_name='__main__')
    return capsys.readouterr().out if capsys is not None else ''


@contextlib.contextmanager
def no_initialisers() -> Iterator[None]:
    """torch.nn.init's random initialisers do nothing: models build in a fraction of the time (every test sets the
    values itself, with :func:`randomise` or by loading a checkpoint)."""
    names = ('kaiming_uniform_', 'kaiming_normal_', 'uniform_', 'normal_', 'trunc_normal_', 'constant_',
             'xavier_uniform_', 'zeros_', 'ones_')
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(mock.patch(f'torch.nn.init.{name}', lambda tensor, *args, **kwargs: tensor))
        yield


def randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random values in every parameter and BN statistic (so a mis-mapped tensor shows in the logits), eval mode;
    weights with the scale of a fan-in initialiser, so activations stay finite through deep models."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith('running_var'):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith(('running_mean', 'bias')):
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=generator))
            elif tensor.dim() == 1:  # norm weights, layer scales
                tensor.copy_(1 + 0.2 * torch.randn(tensor.shape, generator=generator))
            else:
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in**0.5)
    return model.eval()


def images(size: int, count: int = 2, seed: int = 0) -> torch.Tensor:
    """N×3×size×size RGB images in [0, 1] with 0-255 levels, as ToTensor gives."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (count, 3, size, size), generator=generator).float() / 255


def build_config_model(config: str) -> torch.nn.Module:
    """The model of an mmpart config file, with its data_preprocessor (as the runner builds it), eval mode."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(REPO / config))
    model_cfg = dict(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpart'):
        return MODELS.build(model_cfg).eval()


def mmpart_logits(model: torch.nn.Module, rgb01: torch.Tensor) -> torch.Tensor:
    """Logits of an mmpart classifier on [0, 1] RGB images, through its data preprocessor as mmpart's pipeline feeds
    it (0-255 BGR, the preprocessor converts to RGB and normalises)."""
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=(rgb01 * 255).round().flip(1)), False)
        return model(data['inputs'], mode='tensor')


def assert_logits_close(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |actual - expected| ≤ RELATIVE_TOLERANCE × max |expected|; returns the relative difference."""
    assert actual.shape == expected.shape
    scale = expected.abs().max().item()
    relative = (actual - expected).abs().max().item() / scale
    assert scale > 0 and relative <= RELATIVE_TOLERANCE, f'max |diff| / scale = {relative:.2e} (scale {scale:.3g})'
    return relative


def import_robustbench_zoo() -> types.ModuleType:
    """robustbench's ``model_zoo.imagenet`` (architecture constructors) without its package ``__init__``, which imports
    its evaluation code: the git-only ``autoattack`` module (PyPI's ``pyautoattack`` is that code under another
    name) and ``gdown``, neither needed to build an architecture. Nothing here downloads."""
    if 'robustbench' not in sys.modules:
        spec = importlib.util.find_spec('robustbench')
        package = types.ModuleType('robustbench')
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules['robustbench'] = package
    from robustbench.model_zoo import imagenet
    return imagenet
