"""Write files so that a reader (or a killed run) never sees a half-written output."""
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Union

PathLike = Union[str, os.PathLike]


@contextmanager
def atomic_write(path: PathLike, mode: str = 'wb') -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it onto ``path`` only if the block succeeds.

    The rename protects against killed runs (the common case for long jobs); there is no fsync,
    which would make writing 100k masks several times slower.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Atomically write ``data`` to ``path``."""
    with atomic_write(path, 'wb') as f:
        f.write(data)


def atomic_write_text(path: PathLike, text: str) -> None:
    """Atomically write UTF-8 ``text`` to ``path``."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: PathLike, obj: Any, indent: Union[int, None] = None) -> None:
    """Atomically write ``obj`` as JSON (keys in insertion order, so reruns are byte-identical)."""
    atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + '\n')


def remove_stale_temps(folder: str, targets: Iterable[str]) -> None:
    """Delete temporary files that a killed ``atomic_write`` left for the files ``targets`` of ``folder``."""
    if not osp.isdir(folder):
        return
    targets = set(targets)
    for entry in os.scandir(folder):
        name = entry.name
        if name.startswith('.') and name.endswith('.tmp') and name[1:-len('.tmp')].rsplit('.', 1)[0] in targets:
            os.unlink(entry.path)
