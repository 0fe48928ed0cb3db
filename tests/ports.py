"""Free TCP ports for tests that start distributed processes (never a fixed port: tests run in parallel)."""
import socket


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
