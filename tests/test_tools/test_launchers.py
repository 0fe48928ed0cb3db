"""The shell launchers find mmpart's Python without an activated environment (tools/misc/python.sh)."""
import os
import pickle
import socket
import subprocess
from pathlib import Path

import pytest

from ..test_engine.hand_set_classifier import NUM_SAMPLES, make_margin_data, write_checkpoint

REPO = Path(__file__).parents[2]
VENV_PYTHON = REPO / '.venv' / 'bin' / 'python'
BARE_PATH = '/usr/local/bin:/usr/bin:/bin'  # no virtualenv on it


def resolved_python(**env: str) -> str:
    script = f'source {REPO}/tools/misc/python.sh; echo "$MMPART_PYTHON"'
    return subprocess.run(['bash', '-c', script], env={'PATH': BARE_PATH, **env}, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_python_resolution_order(tmp_path):
    activated = tmp_path / 'env'  # an activated environment: its bin/ on PATH, with a `python`
    (activated / 'bin').mkdir(parents=True)
    (activated / 'bin' / 'python').write_text('#!/bin/sh\n')
    (activated / 'bin' / 'python').chmod(0o755)
    path = f'{activated}/bin:{BARE_PATH}'
    assert resolved_python(PYTHON='/opt/py/bin/python3') == '/opt/py/bin/python3'
    assert resolved_python(VIRTUAL_ENV=str(activated), PATH=path) == 'python'
    assert resolved_python(CONDA_PREFIX=str(activated), PATH=path) == 'python'
    assert resolved_python() == (str(VENV_PYTHON) if VENV_PYTHON.exists() else 'python')


@pytest.mark.skipif(not VENV_PYTHON.exists(), reason="needs the project's .venv (make install)")
def test_dist_test_runs_from_a_shell_without_the_venv(tmp_path):
    # as a user types it after `make install`, without activating anything: the launcher picks .venv
    data_root = make_margin_data(tmp_path / 'data')
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = {'PATH': BARE_PATH, 'HOME': os.environ.get('HOME', str(tmp_path)), 'PORT': str(port),
           'OMP_NUM_THREADS': '1'}  # the launcher puts the repository on PYTHONPATH itself
    config = REPO / 'tests' / 'data' / 'configs' / 'hand_set_linear_cls.py'
    proc = subprocess.run(['bash', 'tools/dist_test.sh', str(config), write_checkpoint(tmp_path / 'w.pth'), '1',
                           '--work-dir', str(tmp_path / 'work'), '--out', str(tmp_path / 'preds.pkl'), '--cfg-options',
                           f'test_dataloader.dataset.data_root={data_root}'],
                          cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        assert len(pickle.load(f)) == NUM_SAMPLES
