"""One torch thread for the engine tests (on a busy 2-core machine OpenMP's spinning threads slow tiny models 10x)."""
import pytest

from .tiny_classifier import one_thread


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield
