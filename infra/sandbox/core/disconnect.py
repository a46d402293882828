"""Connections a service drops on purpose, e.g. a body cut short after its headers, or a
request dropped in the middle of its body (``drop_connection``).

The only way to cut a response short from inside an ASGI app is to raise after the first
body chunk, and uvicorn logs that as "Exception in ASGI application". The sandbox does it
to test the product's error handling, so such records are noise, not errors.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
from typing import Any

from starlette.types import Scope


class DeliberateDisconnect(Exception):
    """Raised by a service to drop the connection on purpose."""


class QuietDisconnectFilter(logging.Filter):
    """Drop log records whose exception is, or was caused by, a ``DeliberateDisconnect``."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            if isinstance(exc, DeliberateDisconnect):
                return False
            if isinstance(exc, BaseExceptionGroup) and any(
                isinstance(e, DeliberateDisconnect) for e in exc.exceptions
            ):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


#: The listeners' connection sets (uvicorn's ``ServerState.connections``), registered by
#: ``python -m infra.sandbox``; empty when the app runs in-process.
_listeners: list[Any] = []


def register_listener(server_state: Any) -> None:
    """Let ``drop_connection`` find the connections of one uvicorn listener."""
    _listeners.append(server_state)


def drop_connection(scope: Scope) -> bool:
    """Reset the TCP connection ``scope`` arrived on, now, without any answer.

    ASGI has no way to drop a request before its response starts (an exception becomes a
    500), yet "the connection died in the middle of my upload" is the fault a resumable
    client must survive. So this finds the uvicorn connection by its two addresses and
    aborts its transport with ``SO_LINGER`` 0: a reset, as after a real network failure, and
    never a half response a client might mistake for an answer. A plain-HTTP client gets
    ``ECONNRESET``; over TLS Python's ssl module reads the reset as an end of file, so
    http.client raises ``RemoteDisconnected``. False when the app does not run under a
    registered listener (then the caller must fail some other way).
    """
    client, server = scope.get("client"), scope.get("server")
    if not client or not server:
        return False
    for state in _listeners:
        for connection in list(state.connections):
            transport = getattr(connection, "transport", None)
            if transport is None or transport.is_closing():
                continue
            if tuple(connection.client or ()) != tuple(client):
                continue
            if tuple(connection.server or ()) != tuple(server):
                continue
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return True
    return False
