"""What determines an evaluation's result: its resolved config and its checkpoint's content."""
import hashlib
import json
import os
import os.path as osp
from functools import cache
from typing import Dict, Optional

from mmengine.config import Config

#: config keys that say where a run writes, how it is launched or how much it logs, not what it computes
NON_RESULT_KEYS = ('work_dir', 'experiment_name', 'load_from', 'launcher', 'log_level', 'log_processor')


@cache
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str) -> str:
    """SHA-256 of a file's content (computed once per path, size and modification time)."""
    stat = os.stat(path)
    return _file_sha256(osp.abspath(path), stat.st_size, stat.st_mtime_ns)


def evaluation_key(cfg: Config, checkpoint: Optional[str]) -> Dict[str, str]:
    """What determines an evaluation's result: the resolved config (model, test data, evaluator, attack; not
    where it writes) and the checkpoint's content (``checkpoint_sha256`` is None without a checkpoint)."""
    settings = {k: v for k, v in cfg.to_dict().items() if k not in NON_RESULT_KEYS}
    text = json.dumps(settings, sort_keys=True, default=repr)
    return dict(config_sha256=hashlib.sha256(text.encode()).hexdigest(),
                checkpoint_sha256=file_sha256(checkpoint) if checkpoint else None)
