"""Progress of the attacks inside one batch, for evaluations whose batches take minutes (Square with thousands
of queries, AutoAttack): the caller says where messages go, :class:`MultiAttack` reports each attack's start and
end. Without a reporter (training, the Python API) nothing is said."""
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Optional

__all__ = ['attack_progress', 'report_progress']

_reporter: ContextVar[Optional[Callable[[str], None]]] = ContextVar('mmpart_attack_progress', default=None)


@contextmanager
def attack_progress(report: Callable[[str], None]) -> Iterator[None]:
    """Send the attacks' progress messages to ``report`` inside the block."""
    token = _reporter.set(report)
    try:
        yield
    finally:
        _reporter.reset(token)


def report_progress(message: str) -> None:
    """Pass ``message`` to the reporter of the enclosing :func:`attack_progress`, if any."""
    report = _reporter.get()
    if report is not None:
        report(message)
