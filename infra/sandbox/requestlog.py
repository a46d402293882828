"""Request log: every non-control request with its final status.

Tests use it to assert on traffic, e.g. that a 429 was retried or that a file was fetched
exactly once. It sits outside the fault middleware so faulted requests are logged too.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.sandbox.state import SandboxState, is_control_path


class RequestLogMiddleware:
    """Records method, path, query, status, timing, fault id and aborted connections."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

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
        at_ms = int(time.time() * 1000)
        aborted = True
        try:
            await self.app(scope, receive, capture)
            aborted = False
        finally:
            headers = dict(scope.get("headers") or [])
            self.state.log_request(
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
