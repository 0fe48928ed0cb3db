"""Models of the repository's configs, built once per session with random weights."""
from pathlib import Path
from typing import Callable

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

CONFIGS = Path(__file__).parents[2] / 'configs'


def load_config(name: str) -> Config:
    """``name`` relative to ``configs/`` without ``.py``, e.g. ``mpm/mpm_r50``."""
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


@pytest.fixture(scope='session')
def build_model() -> Callable[[str], nn.Module]:
    """``build_model('mpm/mpm_r50')``: the config's model (with its top-level data preprocessor), built once."""
    cache = {}

    def build(name: str) -> nn.Module:
        if name not in cache:
            register_all_modules()
            cfg = load_config(name)
            if cfg.get('data_preprocessor') is not None:
                cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
            with DefaultScope.overwrite_default_scope('mmpart'):
                cache[name] = MODELS.build(cfg.model).eval()
        return cache[name]

    return build
