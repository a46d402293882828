"""Connections a service drops on purpose, e.g. a body cut short after its headers.

The only way to cut a response short from inside an ASGI app is to raise after the first
body chunk, and uvicorn logs that as "Exception in ASGI application". The sandbox does it
to test the product's error handling, so such records are noise, not errors.
"""

from __future__ import annotations

import logging


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
