"""Session-wide fixtures."""
import functools
import itertools
import os.path as osp
from pathlib import Path

import pytest
from mmengine.runner import Runner

from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp


@pytest.fixture(scope='session')
def synthetic_pinpp(tmp_path_factory) -> Path:
    """A small synthetic PIN++ set, converted once per session; returns its root.

    Layout as ``make demo`` writes it (``data_root`` of ``configs/_base_/datasets/pinpp_synthetic_cls.py``):
    ``imagenet/{train,val}/``, ``pinpp/`` (release) and ``converted/`` (training layout). The default
    6 classes (21 parts) match the synthetic configs; few, small images keep it fast.
    """
    root = tmp_path_factory.mktemp('synthetic_pinpp')
    make_synthetic_pinpp(str(root), num_classes=6, images_per_class=6, unlabeled_per_class=2, val_per_class=2,
                         image_size=64)
    convert_pinpp(release_root=str(root / 'pinpp'), imagenet_root=str(root / 'imagenet' / 'train'),
                  out_dir=str(root / 'converted'), val_ratio=0.2)
    return root


_RUNNER_NUMBERS = itertools.count()


@pytest.fixture(autouse=True)
def unique_experiment_names(monkeypatch):
    """Give every runner built in this process its own experiment name.

    mmengine names a run's MMLogger and Visualizer instances ``<config>_<timestamp>`` with a timestamp to the
    second and returns an existing instance of that name, so two runs started in-process within one second
    (``runpy`` of tools/train.py or tools/test.py) share the first run's logger and visualizer, whose files
    then land in the first run's folder. A run that names its experiment keeps its name.
    """
    init = Runner.__init__

    @functools.wraps(init)
    def init_with_unique_name(self, *args, experiment_name=None, cfg=None, **kwargs):
        if experiment_name is None:
            filename = getattr(cfg, 'filename', None) if cfg is not None else None
            stem = osp.splitext(osp.basename(filename))[0] if filename else 'run'
            experiment_name = f'{stem}_{next(_RUNNER_NUMBERS)}'
        init(self, *args, experiment_name=experiment_name, cfg=cfg, **kwargs)

    monkeypatch.setattr(Runner, '__init__', init_with_unique_name)
