"""Run ``tools/pseudo_label.py`` and SIGKILL it right after its N-th mask write, before that batch is logged.

Usage: ``python kill_after_mask.py N tools/pseudo_label.py ARGS...``. A deterministic kill at the point where a
killed run leaves the most behind (a written mask whose batch is not in the log), whatever the machine's speed.
"""
import os
import runpy
import signal
import sys

import mmpart.pseudo_label.labeler as labeler


def main() -> None:
    kill_at, tool_argv = int(sys.argv[1]), sys.argv[2:]
    write_part_mask, written = labeler.write_part_mask, []

    def write_then_kill(path, mask) -> None:
        write_part_mask(path, mask)
        written.append(path)
        if len(written) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    labeler.write_part_mask = write_then_kill
    sys.argv = tool_argv
    runpy.run_path(tool_argv[0], run_name='__main__')


if __name__ == '__main__':
    main()
