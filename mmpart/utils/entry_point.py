"""How every tool runs its ``main``: a missing config or a checkpoint that does not fit said without a traceback, and
a process group that ends cleanly.

A process group left alive at interpreter exit is torn down in the wrong order: gloo's threads are destroyed while
still joinable and the process aborts (``terminate called without an active exception``, exit code -6) after a run
that succeeded, so ``torchrun`` and ``tools/dist_*.sh`` report a failure. Ending the group before the interpreter
exits, on success, on an exception and on Ctrl-C alike, fixes that; the exit status is then the run's own.

torchrun starts each rank in a session of its own, so a torchrun killed with SIGKILL (or dying) leaves its ranks
running as orphans; under torchrun every rank asks the kernel for a SIGTERM when torchrun dies.
"""
import ctypes
import os
import signal
import sys
from typing import Any, Callable

import torch.distributed as dist
import torch.distributed.distributed_c10d as c10d
from torch.distributed.elastic.multiprocessing.errors import record

from .checkpoint_match import CheckpointMismatchError
from .config_file import ConfigFileNotFoundError

#: a user's mistake, fully described by its message: printed as ``error: <message>``, exit status 2
USER_ERRORS = (ConfigFileNotFoundError, CheckpointMismatchError)


def end_process_group(failed: bool = False) -> None:
    """End the default process group if one is initialised; every rank calls it once, at its end.

    After a failure, NCCL groups are aborted rather than destroyed: since torch 2.6 ``destroy_process_group``
    flushes pending NCCL collectives, which hangs when another rank will never join them (torch PR 141510),
    while torchrun waits for this process to exit before it stops the others. gloo's destroy is local.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if failed and 'nccl' in str(dist.get_backend()) and hasattr(c10d, '_abort_process_group'):
        c10d._abort_process_group()
    else:
        dist.destroy_process_group()


def stop_with_torchrun() -> None:
    """Under torchrun (Linux), have this rank sent SIGTERM when its launcher dies (``PR_SET_PDEATHSIG``)."""
    if 'TORCHELASTIC_RUN_ID' not in os.environ or not sys.platform.startswith('linux'):
        return
    launcher = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != launcher:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def run_tool(main: Callable[[], Any]) -> None:
    """Run a tool's ``main()`` and end its process group; a :data:`USER_ERRORS` error (a missing config, a
    checkpoint that does not fit the config's model) exits with status 2 and its message, without a traceback.

    Under torchrun the failing rank's error is recorded (torch's ``record``), so torchrun's summary of a failed run
    shows that rank's exception instead of "To enable traceback see ...".
    """
    stop_with_torchrun()
    failed = True
    try:
        record(main)()
        failed = False
    except USER_ERRORS as error:
        print(f'error: {error}', file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        end_process_group(failed)
