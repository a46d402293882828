"""Request log: every non-control request with its final status.

Tests use it to assert on traffic, e.g. that a 429 was retried or that a file was fetched
exactly once. It sits outside the fault middleware so faulted requests are logged too.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.sandbox.core.clock import Clock, iso_ms
from infra.sandbox.core.paths import is_control_path

#: How many entries are kept; old ones fall off so a long demo cannot grow memory.
REQUEST_LOG_LIMIT = 20_000


@dataclass
class RequestRecord:
    """One entry of the request log (everything except control-API calls)."""

    seq: int
    method: str
    path: str
    query: str
    status: int | None
    at_ms: int
    duration_ms: float
    fault_id: str | None
    aborted: bool
    range: str | None

    def to_json(self) -> dict[str, Any]:
        """Shape returned by ``GET /_sandbox/requests``."""
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "at": iso_ms(self.at_ms),
            "duration_ms": round(self.duration_ms, 1),
            "fault_id": self.fault_id,
            "aborted": self.aborted,
            "range": self.range,
        }


class RequestLog:
    """The newest ``REQUEST_LOG_LIMIT`` records, under the sandbox lock."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self.lock = lock
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget every record and start ``seq`` at 1 again."""
        with self.lock:
            self._records: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_LIMIT)
            self._seq = 0

    def append(self, **fields: Any) -> None:
        """Append one record (see ``RequestRecord`` for the fields but ``seq``)."""
        with self.lock:
            self._seq += 1
            self._records.append(RequestRecord(seq=self._seq, **fields))

    def to_json(
        self, path: re.Pattern[str] | None = None, method: str | None = None
    ) -> list[dict[str, Any]]:
        """Records, oldest first, whose path matches ``path`` (search) and method ``method``."""
        with self.lock:
            records = list(self._records)
        return [
            r.to_json()
            for r in records
            if (path is None or path.search(r.path))
            and (method is None or r.method.upper() == method.upper())
        ]

    def clear(self) -> None:
        """Empty the log (``seq`` keeps counting)."""
        with self.lock:
            self._records.clear()


class RequestLogMiddleware:
    """Records method, path, query, status, timing, fault id and aborted connections."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        status: int | None = None

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        at_ms = self.log.clock.now_ms()
        aborted = True
        try:
            await self.app(scope, receive, capture)
            aborted = False
        finally:
            headers = dict(scope.get("headers") or [])
            self.log.append(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=status if status is not None else 500,
                at_ms=at_ms,
                duration_ms=(time.perf_counter() - started) * 1000,
                fault_id=scope.get("sandbox.fault_id"),
                aborted=aborted,
                range=(headers.get(b"range") or b"").decode("latin-1") or None,
            )
