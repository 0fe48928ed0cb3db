"""Every tool runs through ``run_tool``: its process group ends however the run ends (no abort at exit, the
run's own exit status), and a missing config is one line naming it."""
import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch.distributed as dist

from mmpart.utils import entry_point
from mmpart.utils.entry_point import end_process_group, run_tool

from ..ports import free_port

REPO = Path(__file__).parents[2]
# install.sh runs these with the bare interpreter, before torch or mmpart can be imported
INSTALL_HELPERS = {'tools/misc/env_layer.py', 'tools/misc/wheelhouse.py'}
SCRIPTS = sorted(p for p in [*REPO.glob('tools/**/*.py'), *REPO.glob('demo/*.py')]
                 if "__name__ == '__main__'" in p.read_text() and str(p.relative_to(REPO)) not in INSTALL_HELPERS)
ABORT_SIGNS = ('terminate called', 'exitcode: -6', 'SIGABRT')


def test_every_tool_runs_its_main_through_run_tool():
    assert len(SCRIPTS) >= 19
    for path in SCRIPTS:
        tree = ast.parse(path.read_text())
        blocks = [node for node in tree.body
                  if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"]
        assert [ast.unparse(s) for s in blocks[0].body] == ['run_tool(main)'], path


def test_configs_load_through_load_config():
    sources = [*REPO.glob('tools/**/*.py'), *REPO.glob('demo/*.py'), *REPO.glob('mmpart/**/*.py')]
    assert [p for p in sources if 'Config.fromfile(' in p.read_text() and p.name != 'config_file.py'] == []


@pytest.mark.parametrize('error', [None, ValueError('bad input'), KeyboardInterrupt()])
def test_the_process_group_ends_however_main_ends(error):
    def main():
        dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{free_port()}', rank=0, world_size=1)
        if error is not None:
            raise error

    if error is None:
        run_tool(main)
    else:
        with pytest.raises(type(error)):
            run_tool(main)
    assert not dist.is_initialized()


def test_after_a_failure_nccl_groups_are_aborted_not_flushed(monkeypatch):
    calls = []
    monkeypatch.setattr(dist, 'is_initialized', lambda: True)
    monkeypatch.setattr(dist, 'destroy_process_group', lambda: calls.append('destroy'))
    monkeypatch.setattr(entry_point.c10d, '_abort_process_group', lambda: calls.append('abort'))
    for backend, failed in (('nccl', True), ('nccl', False), ('cpu:gloo,cuda:nccl', True), ('gloo', True)):
        monkeypatch.setattr(dist, 'get_backend', lambda name=backend: name)
        end_process_group(failed)
    assert calls == ['abort', 'destroy', 'abort', 'destroy']


def torchrun_env() -> dict:
    return dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')


def torchrun(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', 'tools/misc/torchrun.sh', script, '2', *args], cwd=REPO, env=torchrun_env(),
                          capture_output=True, text=True, timeout=300)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (an exited orphan may stay a zombie until init reaps it)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG is Linux only')
def test_ranks_do_not_outlive_a_killed_torchrun():
    # torchrun.sh execs torchrun, whose ranks run in sessions of their own: SIGKILL to torchrun used to orphan them;
    # their data loader workers (persistent) go with them
    proc = subprocess.Popen(['bash', 'tools/misc/torchrun.sh', 'tests/test_utils/dist_tool.py', '2', 'hang'], cwd=REPO,
                            env=torchrun_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        pids = [int(proc.stdout.readline().split()[1]) for _ in range(4)]  # 2 ranks, 2 loader workers
        assert all(running(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(running(pid) for pid in pids)


def test_a_two_process_run_exits_with_status_0():
    proc = torchrun('tests/test_utils/dist_tool.py', 'ok')
    assert proc.returncode == 0, proc.stderr[-3000:]
    # whole lines: dist_tool writes each in one write, so the ranks' lines on torchrun's stdout do not interleave
    assert sorted(line for line in proc.stdout.splitlines() if 'done' in line) == ['rank 0 of 2 done',
                                                                                  'rank 1 of 2 done']
    assert not any(sign in proc.stderr for sign in ABORT_SIGNS)


def test_a_rank_that_raises_gives_its_error_and_status_not_an_abort():
    # rank 0 waits in a barrier for rank 1, which raises: rank 0 then fails on the closed connection or is stopped
    # by torchrun (which of the two first depends on timing); torchrun's summary has rank 1's error either way
    proc = torchrun('tests/test_utils/dist_tool.py', 'raise')
    assert proc.returncode == 1, proc.stderr[-3000:]
    summary = proc.stderr[proc.stderr.index('dist_tool.py FAILED'):]
    assert 'rank      : 1' in summary and 'ValueError: rank 1 cannot go on' in summary
    statuses = set(re.findall(r'exitcode  : (-?\d+)', summary))
    assert '1' in statuses and statuses <= {'1', '-15'} and not any(sign in proc.stderr for sign in ABORT_SIGNS)


def test_a_tool_that_raises_under_dist_test_exits_with_its_error():
    # both ranks fail after the process group is up: the test set does not exist
    proc = torchrun('tools/test.py', 'tests/data/configs/hand_set_linear_cls.py', 'missing.pth', '--cfg-options',
                    'test_dataloader.dataset.data_root=no/such/folder')
    assert proc.returncode == 1, proc.stderr[-3000:]
    summary = proc.stderr[proc.stderr.index('Root Cause'):]  # torchrun's summary names the error, not only a code
    assert "FileNotFoundError: [Errno 2] No such file or directory: 'no/such/folder/val'" in summary
    assert not any(sign in proc.stderr for sign in ABORT_SIGNS)


@pytest.mark.parametrize('config, message', [
    ('configs/nope.py', 'error: config file not found: configs/nope.py'),
    ('{tmp}/child.py', 'error: {tmp}/child.py: a file it inherits was not found: {tmp}/./missing_base.py')])
def test_a_missing_config_is_one_line(tmp_path, config, message):
    (tmp_path / 'child.py').write_text("_base_ = ['./missing_base.py']\n")
    config, message = config.format(tmp=tmp_path), message.format(tmp=tmp_path)
    proc = subprocess.run([sys.executable, 'tools/train.py', config], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [message]
