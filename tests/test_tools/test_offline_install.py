"""Offline install: tools/misc/make_wheelhouse.sh, tools/misc/install.sh --offline/--system-torch and their helpers.

Nothing is downloaded: the wheelhouse checks run on hand-made file names, and the end-to-end install layers a
fresh venv over this test's own environment (which has torch and the whole stack) with pip's index switched off.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MISC = REPO / 'tools' / 'misc'


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, MISC / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wheelhouse = load('wheelhouse')


def run(*cmd, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_requirement_groups_cover_every_pin_once():
    pins = wheelhouse.read_pins()
    lines = {group: wheelhouse.requirements(group, False, pins) for group in ('stack', 'no-deps', 'source')}
    assert lines['source'] == ['mmcv==2.1.0']
    assert lines['no-deps'] == [f'{name}=={dict(pins)[name]}'
                                for name in ('geotorch', 'robustbench', 'timm', 'torchattacks', 'torchdiffeq')]
    every = sorted(sum(lines.values(), []))
    assert every == sorted(f'{n}=={v}' for n, v in pins)  # each pin in exactly one group


def test_torch_from_host_leaves_out_torch_and_its_cuda_wheels_only():
    pins = [('torch', '2.14.1'), ('torchvision', '0.29.1'), ('triton', '3.8.0'), ('nvidia-cublas', '13.1'),
            ('cuda-toolkit', '13.0'), ('torchattacks', '3.5.1'), ('numpy', '1.26.4'), ('sympy', '1.14.0'),
            ('torchmetrics-like', '1.0')]
    assert wheelhouse.requirements('stack', True, pins) == ['numpy==1.26.4', 'sympy==1.14.0',
                                                            'torchmetrics-like==1.0']
    assert wheelhouse.requirements('stack', False, pins)[:5] == [
        'torch==2.14.1', 'torchvision==0.29.1', 'triton==3.8.0', 'nvidia-cublas==13.1', 'cuda-toolkit==13.0']
    assert wheelhouse.requirements('no-deps', True, pins) == ['torchattacks==3.5.1']


def test_read_pins_names_the_bad_line(tmp_path):
    path = tmp_path / 'constraints.txt'
    path.write_text('# comment\nnumpy==1.26.4\nscipy>=1.0\n')
    with pytest.raises(ValueError, match=r'constraints.txt:3: expected name==version'):
        wheelhouse.read_pins(path)


def test_system_torch_constraints_pin_the_environments_torch():
    import importlib.metadata

    lines = wheelhouse.effective_constraints(True, wheelhouse.read_pins())
    names = [wheelhouse.canonical(line.split('==')[0]) for line in lines]
    assert lines[-2:] == [f'torch=={importlib.metadata.version("torch")}',
                          f'torchvision=={importlib.metadata.version("torchvision")}']
    assert names.count('torch') == 1 and not any(n.startswith(('nvidia-', 'cuda-')) or n == 'triton' for n in names)
    assert 'sympy' not in names and 'filelock' not in names  # torch's own dependencies: its environment decides
    assert 'numpy' in names and 'mmengine' in names


def wheel_name(name: str, version: str, tag: str = 'py3-none-any') -> str:
    return f'{name.replace("-", "_")}-{version}-{tag}.whl'


def test_check_reports_missing_and_foreign_wheels(tmp_path):
    import pytest as installed

    (tmp_path / wheel_name('probe-a', '1.0')).touch()
    (tmp_path / wheel_name('probe-b', '2.0', 'cp27-cp27m-win32')).touch()  # no interpreter here runs it
    (tmp_path / 'probe_d-4.0.tar.gz').touch()  # an sdist installs anywhere
    (tmp_path / wheel_name('probe-e', '5.1')).touch()  # another version than the pin
    pins = [('probe-a', '1.0'), ('Probe_B', '2.0'), ('probe-c', '3.0'), ('probe.d', '4.0'), ('probe-e', '5.0'),
            ('pytest', installed.__version__)]  # installed at the pinned version: no file needed
    problems = wheelhouse.check(tmp_path, False, pins)
    assert len(problems) == 3, problems
    assert problems[0].startswith(f'Probe_B==2.0: {tmp_path} has probe_b-2.0-cp27-cp27m-win32.whl, none for this')
    assert problems[1:] == [f'probe-c==3.0: not in {tmp_path}', f'probe-e==5.0: not in {tmp_path}']
    assert wheelhouse.check(tmp_path / 'nowhere', False, pins) == [
        f'{tmp_path / "nowhere"}: no such folder (make it with tools/misc/make_wheelhouse.sh)']


def test_check_command_says_how_to_fix(tmp_path):
    wheelhouse.write_manifest(tmp_path, '3.11', [], torch_from_host=True)
    proc = run(sys.executable, MISC / 'wheelhouse.py', 'check', tmp_path, '--ignore-installed')
    assert proc.returncode == 1
    assert 'torch==' in proc.stderr and 'made with --torch-from-host' in proc.stderr and '--system-torch' in proc.stderr


@pytest.mark.parametrize('args, message', [
    ([], 'no DIR given'),
    (['DIR', '--python', '3'], "--python takes a version such as 3.11, got '3'"),
    (['DIR', '--python'], '--python needs a version'),
    (['DIR', 'OTHER'], "one DIR only, got 'DIR' and 'OTHER'"),
    (['DIR', '--bogus'], 'unknown option --bogus'),
])
def test_make_wheelhouse_rejects_bad_arguments_before_downloading(tmp_path, args, message):
    args = [str(tmp_path / a) if a in ('DIR', 'OTHER') else a for a in args]
    message = message.replace("'DIR'", f"'{tmp_path / 'DIR'}'").replace("'OTHER'", f"'{tmp_path / 'OTHER'}'")
    proc = run('bash', MISC / 'make_wheelhouse.sh', *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())  # nothing created


def test_make_wheelhouse_help():
    proc = run('bash', MISC / 'make_wheelhouse.sh', '--help')
    assert proc.returncode == 0 and proc.stdout.startswith('Download everything an offline install')
    assert '--torch-from-host' in proc.stdout and 'set -euo' not in proc.stdout


def test_install_rejects_bad_arguments(tmp_path):
    proc = run('bash', MISC / 'install.sh', tmp_path / 'venv', '--offline', tmp_path / 'nowhere')
    assert proc.returncode == 1 and f'--offline {tmp_path / "nowhere"}: no such folder' in proc.stderr
    proc = run('bash', MISC / 'install.sh', tmp_path / 'venv', '--bogus')
    assert proc.returncode == 1 and 'unknown option --bogus' in proc.stderr
    assert not (tmp_path / 'venv').exists()
    # an existing environment without torch: --system-torch has nothing to keep
    fake = tmp_path / 'env' / 'bin' / 'python'
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\nexit 1\n')
    fake.chmod(0o755)
    proc = run('bash', MISC / 'install.sh', tmp_path / 'env', '--system-torch')
    assert proc.returncode == 1 and 'exists but has no torch' in proc.stderr


def fake_transformers(site: Path) -> None:
    """A transformers 4.40.0 that mmpretrain would take for a real one (its metadata) and that imports."""
    (site / 'transformers').mkdir(parents=True)
    (site / 'transformers' / '__init__.py').write_text('FAKE = True\n')
    info = site / 'transformers-4.40.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: transformers\nVersion: 4.40.0\n')


def test_offline_system_torch_install_layers_over_this_environment(tmp_path):
    """install.sh VENV --system-torch --offline DIR with an empty wheelhouse: every pin is already in the host
    environment (this test's), so pip, with no index and no configuration, installs only mmpart (editable) into the
    layered venv; the host's (fake) transformers is shadowed there, and only there."""
    host_site = tmp_path / 'host' / 'site-packages'
    fake_transformers(host_site)
    # the "host" interpreter: this environment plus the fake transformers' folder on its sys.path
    host_python = tmp_path / 'host' / 'python'
    host_python.write_text(f'#!/bin/sh\nPYTHONPATH={host_site} exec {sys.executable} "$@"\n')
    host_python.chmod(0o755)
    wheels = tmp_path / 'wheels'
    wheels.mkdir()
    (wheels / 'README.txt').touch()  # not a distribution: ignored
    venv = tmp_path / 'venv'
    env = dict(os.environ, PYTHON=str(host_python), PIP_FIND_LINKS='/nonexistent-find-links',
               PIP_INDEX_URL='http://127.0.0.1:9/simple')  # reachable only if --offline failed to cut them off
    proc = run('bash', MISC / 'install.sh', venv, '--system-torch', '--offline', wheels, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for step in ('checking the wheelhouse', 'build tools', 'OpenMMLab stack', 'mmpart (editable)'):
        assert f'[install]   {step}' in out and ' s\n' in out  # every step reports its time
    assert 'torch + torchvision' not in out and 'shadowed in' in out and '[install] ok: mmcv 2.1.0' in out

    python = venv / 'bin' / 'python'
    probe = ('import mmpretrain.utils.dependency as d, mmpart, torch; print(d.WITH_MULTIMODAL, mmpart.__file__, '
             'torch.__file__)\ntry:\n import transformers\nexcept ImportError as e:\n print("ImportError:", e)')
    clean = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    lines = run(python, '-c', probe, env=clean).stdout.splitlines()
    assert lines[0].split()[0] == 'False'  # mmpretrain does not see a transformers to import
    assert lines[0].split()[1] == str(REPO / 'mmpart' / '__init__.py')  # the editable install in the venv
    assert Path(lines[0].split()[2]).resolve().is_relative_to(Path(sys.prefix).resolve())  # the host's torch
    assert lines[1].startswith('ImportError: transformers is shadowed in this environment')
    # the host's copy is untouched, and the placeholder is what hides it: remove it and mmpretrain sees 4.40.0
    assert (host_site / 'transformers' / '__init__.py').read_text() == 'FAKE = True\n'
    assert run(python, '-m', 'pip', 'uninstall', '-y', 'transformers', env=clean).returncode == 0
    lines = run(python, '-c', probe, env=clean).stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith('True ')
