"""Run ``tools/test.py`` and SIGKILL it right after the robust evaluation saved its N-th batch of records.

Usage: ``python kill_after_records.py N tools/test.py ARGS...``: a deterministic kill at the point a killed
evaluation leaves the most behind (records saved, the run not finished), whatever the machine's speed.
"""
import os
import runpy
import signal
import sys

from mmpart.engine.loops.sample_records import SampleRecords


def main() -> None:
    kill_at, tool_argv = int(sys.argv[1]), sys.argv[2:]
    add, saved = SampleRecords.add, []

    def add_then_kill(self, records) -> None:
        add(self, records)
        saved.append(len(records))
        if len(saved) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    SampleRecords.add = add_then_kill
    sys.argv = tool_argv
    runpy.run_path(tool_argv[0], run_name='__main__')


if __name__ == '__main__':
    main()
