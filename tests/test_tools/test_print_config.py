"""tools/misc/print_config.py prints the resolved config with --cfg-options applied and saves it."""
import runpy
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools' / 'misc' / 'print_config.py')
CONFIG = str(REPO / 'configs' / 'mpm' / 'mpm_r18_synthetic.py')


def test_resolved_config_with_options_round_trips(tmp_path, monkeypatch, capsys):
    saved = tmp_path / 'resolved.py'
    monkeypatch.setattr(sys, 'argv', [TOOL, CONFIG, '--cfg-options', 'model.part_head.num_classes=30',
                                      'train_dataloader.batch_size=4', '--save', str(saved)])
    runpy.run_path(TOOL, run_name='__main__')
    printed = capsys.readouterr().out
    assert "type='MPMClassifier'" in printed  # from the config itself
    assert "type='ResNetAct'" in printed and 'default_scope' in printed  # merged from its _base_ chain
    resolved = Config.fromfile(str(saved))
    assert '_base_' not in saved.read_text()
    assert resolved.model.part_head.num_classes == 30 and resolved.train_dataloader.batch_size == 4
    assert resolved.model.backbone.depth == 18  # the base's value, overridden by the synthetic config


def test_save_needs_a_python_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [TOOL, CONFIG, '--save', str(tmp_path / 'resolved.json')])
    with pytest.raises(SystemExit):
        runpy.run_path(TOOL, run_name='__main__')
    assert 'writes a .py config' in capsys.readouterr().err
