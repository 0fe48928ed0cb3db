"""Resumable pseudo-labelling: per-rank logs of finished batches, run settings, stale temporary files."""
import json
import os
import os.path as osp
from typing import List

from mmpart.utils.atomic_io import atomic_write_json, atomic_write_text

__all__ = ['BatchLog', 'check_run_settings']


class BatchLog:
    """Append-only log of one rank's finished batches, one JSON line per batch, in batch order.

    A batch is logged after all of its masks are written, so on restart the logged batches are
    skipped and any other batch is redone whole (same images, same results). A line cut short by a
    kill is dropped when the log is opened.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.records: List[dict] = []
        if osp.isfile(path):
            self._load()

    def _load(self) -> None:
        with open(self.path, encoding='utf-8') as f:
            lines = f.read().split('\n')
        complete = lines[:-1]  # the text after the last newline is an unfinished line, if any
        for line in complete:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break
            if record.get('batch') != len(self.records):
                break
            self.records.append(record)
        if len(self.records) < len(complete) or lines[-1]:
            atomic_write_text(self.path, ''.join(json.dumps(r) + '\n' for r in self.records))

    @property
    def num_done(self) -> int:
        """Number of finished batches (batches ``0 .. num_done - 1``)."""
        return len(self.records)

    def append(self, record: dict) -> None:
        """Log the next batch (``record['batch']`` must be :attr:`num_done`)."""
        if record['batch'] != len(self.records):
            raise ValueError(f'{self.path}: batch {record["batch"]} logged after {len(self.records)} batches')
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')
        self.records.append(record)


def check_run_settings(path: str, settings: dict) -> None:
    """Write the run's settings, or check them against those of the run that wrote ``path``.

    A restart must use the same model, threshold, batches and images, or the resumed output would
    not be that of one run.
    """
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            previous = json.load(f)
        changed = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
        if changed:
            raise ValueError(f'{path}: this output folder was started with other settings ({", ".join(changed)}); '
                             'resume with the same ones or use a new --out folder')
        return
    atomic_write_json(path, settings, indent=1)
