"""A minimal tool for torchrun in tests: two ranks join a gloo group and all-reduce; ``raise`` makes rank 1 fail
while rank 0 waits for it in a barrier, ``hang`` starts a data loader with a persistent worker, prints the pids of
the rank and of its worker, and sleeps.
Usage: ``tools/misc/torchrun.sh tests/test_utils/dist_tool.py 2 MODE``."""
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from mmpart.utils.entry_point import run_tool


def say(line: str) -> None:
    """One line in one write: torchrun runs the ranks unbuffered (``python -u``), where ``print`` writes the text and
    its newline apart, so the lines of processes sharing the pipe would interleave."""
    os.write(1, f'{line}\n'.encode())


def print_worker_pid(worker_id: int) -> None:
    say(f'pid {os.getpid()}')


def main() -> None:
    mode = sys.argv[1]  # torchrun.sh appends --launcher pytorch
    dist.init_process_group('gloo')
    total = torch.ones(1)
    dist.all_reduce(total)
    if mode == 'hang':
        loader = DataLoader(range(4), num_workers=1, persistent_workers=True, worker_init_fn=print_worker_pid)
        next(iter(loader))
        say(f'pid {os.getpid()}')
        time.sleep(300)
    if mode == 'raise' and dist.get_rank() == 1:
        raise ValueError('rank 1 cannot go on')
    dist.barrier()
    say(f'rank {dist.get_rank()} of {int(total.item())} done')


if __name__ == '__main__':
    run_tool(main)
