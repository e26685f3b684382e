"""A TCP port on 127.0.0.1 that nothing listens on (yet): for a server a test starts
later, or for one that must be found down."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
