"""Per-sample results of a robust evaluation, saved as the run goes so that a killed run resumes where it was."""
import glob
import json
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

from mmpart.utils import atomic_write_json
from mmpart.utils.atomic_io import remove_stale_temps


class SampleRecords:
    """The records (:meth:`RobustAccuracy.record <mmpart.evaluation.metrics.RobustAccuracy.record>`) of one
    process, by dataset index, and those a killed run of the same evaluation left in ``directory``.

    Every process writes its records to ``<directory>/rank<r>.json`` (atomically, after every batch) under
    ``key``, what determines the result (config and checkpoint hashes). On start it reads the files of every rank
    whose key matches, so a resumed run may use another number of processes; files of another evaluation are
    ignored (with a warning).

    Args:
        directory: where the records go; None keeps them in memory only (no resume).
        key: what the records were computed with.
        rank: this process's rank.
    """

    def __init__(self, directory: Optional[str], key: Optional[dict] = None, rank: int = 0) -> None:
        self.directory, self.key = directory, key
        self.path = None if directory is None else osp.join(directory, f'rank{rank}.json')
        if directory is not None:  # what a run killed while saving left beside this process's file
            remove_stale_temps(directory, {f'rank{rank}.json'})
        self.mine: List[dict] = []
        self.done: Dict[int, dict] = self._load() if directory else {}

    def _load(self) -> Dict[int, dict]:
        done = {}
        for path in sorted(glob.glob(osp.join(self.directory, 'rank*.json'))):
            with open(path) as f:
                saved = json.load(f)
            if saved.get('key') != self.key:
                print_log(f'{path} holds results of another evaluation (key {saved.get("key")}, not {self.key}): '
                          'ignored', logger='current', level=logging.WARNING)
                continue
            done.update({record['index']: record for record in saved['records']})
        return done

    def resumed(self, indices: Sequence[Optional[int]]) -> Optional[List[dict]]:
        """The saved records of ``indices`` if every one of them is done, else None."""
        if not indices or any(i is None or i not in self.done for i in indices):
            return None
        records = [self.done[i] for i in indices]
        self.mine.extend(records)
        return records

    def add(self, records: Sequence[dict]) -> None:
        """Keep new records and save this process's file."""
        self.mine.extend(records)
        if self.path is not None:
            atomic_write_json(self.path, dict(key=self.key, records=self.mine))
