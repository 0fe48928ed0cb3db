"""mmengine's local file backend with atomic writes, so that a killed run never leaves a half-written checkpoint.

mmengine saves checkpoints (and the ``last_checkpoint`` pointer) through its file backend's ``put``, which writes
the file in place: a run stopped by a scheduler (SIGTERM, then SIGKILL) or by torchrun while one rank failed can
leave a truncated ``epoch_N.pth`` that ``tools/test.py`` or ``--resume CKPT`` then fails to read. This backend
writes a temporary file and renames it, so a checkpoint on disk is complete or absent.
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from .atomic_io import atomic_write


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose ``put`` / ``put_text`` write a temporary file and rename it onto the target."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically (creating its folder)."""
        with atomic_write(filepath, 'wb') as f:
            f.write(obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        """Write text ``obj`` to ``filepath`` atomically (creating its folder)."""
        self.put(obj.encode(encoding), filepath)


def install_atomic_file_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend for local paths (idempotent)."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
