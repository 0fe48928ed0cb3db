"""tools/analysis_tools/get_flops.py: a deployed MPM counts exactly as the plain classifier; the training graph
adds the bypass once; hand-computed counts."""
import json
import runpy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmpart.analysis import input_size_from_pipeline, model_complexity

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools' / 'analysis_tools' / 'get_flops.py')


def test_deployed_mpm_prints_the_numbers_of_the_plain_classifier(monkeypatch, tmp_path, capsys):
    mpm, plain = (str(REPO / 'configs' / family / f'{family}_r18_synthetic.py') for family in ('mpm', 'baseline'))
    out = tmp_path / 'flops.json'
    monkeypatch.setattr(sys, 'argv', [TOOL, mpm, plain, '--out', str(out)])
    runpy.run_path(TOOL, run_name='__main__')
    graphs = {entry['config']: {g['graph']: g for g in entry['graphs']} for entry in json.loads(out.read_text())}
    assert list(graphs[plain]) == ['deployed']
    numbers = ('input_shape', 'flops', 'params', 'activations')
    assert [graphs[mpm]['deployed'][k] for k in numbers] == [graphs[plain]['deployed'][k] for k in numbers]
    assert graphs[mpm]['deployed']['not_run'] == ['part_head'] and graphs[plain]['deployed']['not_run'] == []
    assert graphs[mpm]['deployed']['input_shape'] == [3, 64, 64]  # the test pipeline's crop
    training = graphs[mpm]['training (with bypass)']
    assert training['params'] > graphs[mpm]['deployed']['params']
    assert training['flops'] > graphs[mpm]['deployed']['flops']
    printed = capsys.readouterr().out
    rows = [line.split(' | ')[1:6] for line in printed.splitlines() if '| deployed |' in line]
    assert len(rows) == 2 and rows[0] == rows[1]  # the same printed numbers for both configs
    # the part count that sizes the training graph is stated (the synthetic set: background + 21 parts)
    assert [entry['part_classes'] for entry in json.loads(out.read_text())] == [22, None]
    assert f'{mpm}: part head of 22 classes (background + parts)' in printed
    assert f'{mpm}: part head of 22 classes' in out.with_suffix('.md').read_text()


class TupleConv(nn.Conv2d):

    def forward(self, x):
        return (super().forward(x), )


class FlattenLinear(nn.Linear):

    def forward(self, feats):
        return super().forward(feats[-1].flatten(1))


class BypassConv(nn.Conv2d):

    def forward(self, feats):
        return super().forward(feats[-1])


class HandCountedModel(nn.Module):
    """3×2×2 input → 1×1 conv 3→4 (48 MACs, 16 params) → linear 16→2 (32 MACs, 34 params); the bypass is a
    1×1 conv 4→5 on the backbone's features (80 MACs, 25 params); ``spare`` (12 params) is never run."""
    with_neck = False

    def __init__(self):
        super().__init__()
        self.backbone, self.head, self.part_head = TupleConv(3, 4, 1), FlattenLinear(16, 2), BypassConv(4, 5, 1)
        self.spare = nn.Linear(3, 3)

    def extract_feat(self, inputs, stage='neck'):
        return self.backbone(inputs)

    def forward(self, inputs, mode='tensor'):
        return self.head(self.extract_feat(inputs))


def test_counts_match_a_hand_computed_model():
    deployed, training = model_complexity(HandCountedModel().eval(), (3, 2, 2))
    assert (deployed.flops, deployed.params, deployed.not_run) == (48 + 32, 16 + 34, ('part_head', 'spare'))
    # the backbone runs once for the classifier and the bypass
    assert (training.flops, training.params, training.not_run) == (48 + 32 + 80, 16 + 34 + 25, ('spare', ))


def test_a_model_without_bypass_has_only_the_deployed_graph():
    model = HandCountedModel().eval()
    del model.part_head
    (deployed, ) = model_complexity(model, (3, 2, 2))
    assert (deployed.params, deployed.not_run) == (16 + 34, ('spare', ))


@pytest.mark.parametrize('pipeline, size', [
    (Config.fromfile(str(REPO / 'configs' / '_base_' / 'datasets' / 'pinpp_synthetic_cls.py')).test_pipeline, (64, 64)),
    ([dict(type='Resize', scale=(320, 240), keep_ratio=False)], (240, 320)),
    ([dict(type='Resize', scale=(2048, 512), keep_ratio=True)], (224, 224)),
    ([], (224, 224)),
])
def test_input_size_comes_from_the_test_pipeline(pipeline, size):
    assert input_size_from_pipeline(pipeline) == size


def test_no_gradient_is_left_behind():
    model = HandCountedModel().eval()
    model_complexity(model, (3, 2, 2))
    assert all(p.grad is None for p in model.parameters()) and torch.is_grad_enabled()
