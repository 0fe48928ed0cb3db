"""OpenMMLab's ``mim`` runs mmpart's tools and configs, after a regular install and in the editable install
``make install`` creates.

Regular install: the test builds a wheel from a copy of the sources (setup.py's ``add_mim_extension`` copies
configs, tools, demo and the model index into ``mmpart/.mim``), installs it into a temporary directory put first on
``PYTHONPATH``, and runs ``mim train`` / ``mim test`` from a directory where the config's relative path does not
exist, so that mim has to find it in the package. Editable install: ``mim search`` and ``mim train`` in the
environment the tests run in, as ``tools/misc/install.sh`` made it.
"""
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip('mim')

REPO = Path(__file__).resolve().parents[2]
SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml', 'requirements', 'mmpart', 'configs', 'tools',
           'demo')


def run(cmd: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f'{" ".join(map(str, cmd))}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}'
    return proc


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """``site`` dir holding mmpart installed from a wheel of the current sources, and the env to use it."""
    root = tmp_path_factory.mktemp('mim')
    src = root / 'src'
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns('__pycache__', '.mim'))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy(REPO / name, src / name)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    run([*pip, 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', str(root / 'dist'), str(src)],
        root, env)
    site = root / 'site'
    run([*pip, 'install', '--no-deps', '--no-index', '-q', '--target', str(site), *map(str, (root / 'dist').glob(
        '*.whl'))], root, env)
    return site, dict(env, PYTHONPATH=str(site), OMP_NUM_THREADS='1')


def test_the_wheel_packages_configs_tools_demo_and_the_model_index(installed):
    site, _ = installed
    mim = site / 'mmpart' / '.mim'
    for path in ('configs/mpm/mpm_r18_synthetic.py', 'configs/_base_/default_runtime.py', 'configs/mpm/metafile.yml',
                 'tools/train.py', 'tools/test.py', 'tools/dist_train.sh', 'tools/analysis_tools/get_flops.py',
                 'demo/image_demo.py', 'model-index.yml'):
        assert (mim / path).is_file(), f'{path} not packaged'
    assert not (site / 'tests').exists()  # the test suite is not installed as a package


def test_mim_train_and_test_find_the_packaged_config_and_tools(installed, synthetic_pinpp, tmp_path):
    site, env = installed
    data = f'{synthetic_pinpp}/'
    train = run([sys.executable, '-m', 'mim', 'train', 'mmpart', 'configs/mpm/mpm_r18_synthetic.py', '--work-dir',
                 str(tmp_path / 'train'), '--no-validate', '--cfg-options',
                 f'train_dataloader.dataset.data_root={data}', 'train_dataloader.dataset.indices=8',
                 'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
                 'log_level=WARNING'], tmp_path, env)
    assert f'{site}/mmpart/.mim/tools/train.py {site}/mmpart/.mim/configs/mpm/mpm_r18_synthetic.py' in train.stdout
    checkpoint = tmp_path / 'train' / 'epoch_1.pth'  # one epoch of one iteration
    assert checkpoint.is_file()
    test = run([sys.executable, '-m', 'mim', 'test', 'mmpart', 'configs/mpm/mpm_r18_synthetic.py', '--checkpoint',
                str(checkpoint), '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                f'test_dataloader.dataset.data_root={data}imagenet/', 'test_dataloader.dataset.indices=4',
                'test_dataloader.num_workers=0'], tmp_path, env)
    assert f'{site}/mmpart/.mim/tools/test.py' in test.stdout
    assert 'accuracy/top1' in test.stdout + test.stderr


@pytest.fixture(scope='module')
def editable_env():
    """The environment of this test run, if mmpart is installed in it in editable mode (``make install``)."""
    try:
        url = json.loads(metadata.distribution('mmpart').read_text('direct_url.json') or '{}')
    except metadata.PackageNotFoundError:
        url = {}
    if not url.get('dir_info', {}).get('editable'):
        pytest.skip('mmpart is not an editable install here (the wheel tests above cover regular installs)')
    return {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'} | dict(OMP_NUM_THREADS='1')


def test_mim_search_lists_the_model_zoo_of_the_editable_install(editable_env, tmp_path):
    search = run([sys.executable, '-m', 'mim', 'search', 'mmpart', '--field', 'config'], tmp_path, editable_env)
    assert 'configs/mpm/mpm_r50.py' in search.stdout and 'configs/baseline/baseline_r50.py' in search.stdout


def test_mim_train_runs_a_synthetic_config_of_the_editable_install(editable_env, synthetic_pinpp, tmp_path):
    """One epoch of the synthetic MPM, the config and tools found through the install's mmpart/.mim links."""
    train = run([sys.executable, '-m', 'mim', 'train', 'mmpart', 'configs/mpm/mpm_r18_synthetic.py', '--work-dir',
                 str(tmp_path / 'train'), '--no-validate', '--cfg-options',
                 f'train_dataloader.dataset.data_root={synthetic_pinpp}/', 'train_dataloader.dataset.indices=8',
                 'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
                 'log_level=WARNING'], tmp_path, editable_env)
    package = Path(metadata.distribution('mmpart').locate_file('mmpart'))
    assert f'{package}/.mim/tools/train.py' in train.stdout
    assert (tmp_path / 'train' / 'epoch_1.pth').is_file()
