"""Ports on localhost for the servers the tests start (SMTP, the live server, gunicorn)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on now: the system's pick, so parallel test processes get
    different ones."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
