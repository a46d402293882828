"""Per-route fault injection: the rules, their store and the ASGI middleware that applies them.

Tests add rules through ``POST /_sandbox/faults`` to make the next N requests to a route
slow, fail with a status (429 with Retry-After, 500, 503, ...) or return broken JSON, so the
product's retry and error paths run against the same clients it uses in production.
Rules are checked in insertion order; the first active match applies and uses up one of its
``times``. Control paths are never faulted.

A client parses an error body in its service's format (notion-client reads Notion's error
JSON), so the body of an injected fault comes from the service that owns the path: a
service overrides ``FaultFormat``; paths no service owns get the generic JSON.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.sandbox.core.paths import is_control_path


@dataclass
class FaultRule:
    """A fault-injection rule, as added by ``POST /_sandbox/faults``."""

    id: str
    path: str
    pattern: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int | None = None
    malformed: bool = False
    times: int | None = None
    code: str | None = None
    hits: int = 0

    def active(self) -> bool:
        """A rule stops applying once it has been used ``times`` times."""
        return self.times is None or self.hits < self.times

    def matches(self, method: str, path: str) -> bool:
        """Method (case-insensitive, ``None`` = any) and ``re.search`` on the path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.pattern.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        """Shape returned by ``GET /_sandbox/faults``."""
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "malformed": self.malformed,
            "times": self.times,
            "code": self.code,
            "hits": self.hits,
            "active": self.active(),
        }


class FaultSpec(BaseModel):
    """Body of ``POST /_sandbox/faults``."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="regex, matched with re.search against the request path")
    method: str | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    retry_after: int | None = Field(default=None, ge=0)
    delay_ms: int | None = Field(default=None, ge=0)
    malformed: bool = False
    times: int | None = Field(default=None, ge=0)
    code: str | None = Field(
        default=None, description="error code, for services whose error bodies carry one"
    )

    @field_validator("path")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from exc
        return value

    def to_rule(self) -> FaultRule:
        """The stored rule; its id is assigned by ``FaultRules.add``."""
        return FaultRule(id="", pattern=re.compile(self.path), **self.model_dump())


class FaultRules:
    """The rules in insertion order, under the sandbox lock (handlers run on two threads)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.reset()

    def reset(self) -> None:
        """Forget every rule and start ids at ``fault-1`` again."""
        with self.lock:
            self._rules: list[FaultRule] = []
            self._seq = 0

    def add(self, rule: FaultRule) -> FaultRule:
        """Append a rule; assigns its id."""
        with self.lock:
            self._seq += 1
            rule.id = f"fault-{self._seq}"
            self._rules.append(rule)
            return rule

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the first active matching rule and count one use of it, atomically."""
        with self.lock:
            for rule in self._rules:
                if rule.active() and rule.matches(method, path):
                    rule.hits += 1
                    return rule
            return None

    def to_json(self) -> list[dict[str, Any]]:
        """Every rule with its hits, for ``GET /_sandbox/faults``."""
        with self.lock:
            return [rule.to_json() for rule in self._rules]

    def clear(self) -> None:
        """Remove every rule (ids keep counting)."""
        with self.lock:
            self._rules.clear()

    def delete(self, fault_id: str) -> bool:
        """Remove one rule; False when there is none with that id."""
        with self.lock:
            before = len(self._rules)
            self._rules[:] = [rule for rule in self._rules if rule.id != fault_id]
            return len(self._rules) < before


class FaultFormat:
    """How injected faults look on some paths; this default is a generic JSON body."""

    #: Answered by a ``malformed`` rule: JSON cut off in the middle.
    malformed_body: ClassVar[bytes] = b'{"ok": tr'

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        """The response to an injected ``status`` (a ``Retry-After`` is added to it)."""
        payload = {"error": "injected fault", "status": status, "fault_id": rule.id}
        return JSONResponse(payload, status)


GENERIC_FORMAT = FaultFormat()


def fault_response(rule: FaultRule, fault_format: FaultFormat) -> Response:
    """The response a status/malformed rule answers with instead of the real handler."""
    status = rule.status if rule.status is not None else 200
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    if rule.malformed:
        body = fault_format.malformed_body
        return Response(body, status, headers=headers, media_type="application/json")
    response = fault_format.fault_response(rule, status)
    response.headers.update(headers)
    return response


class FaultMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed bodies).

    ``format_for(path)`` names the format of the service owning a path.
    """

    def __init__(
        self, app: ASGIApp, rules: FaultRules, format_for: Callable[[str], FaultFormat]
    ) -> None:
        self.app = app
        self.rules = rules
        self.format_for = format_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        rule = self.rules.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        scope["sandbox.fault_id"] = rule.id
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.status is None and not rule.malformed:
            await self.app(scope, receive, send)  # pure latency
            return
        response = fault_response(rule, self.format_for(scope["path"]))
        await response(scope, receive, send)
