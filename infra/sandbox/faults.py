"""Per-route fault injection: the rule model and the ASGI middleware that applies it.

Tests add rules through ``POST /_sandbox/faults`` to make the next N requests to a route
slow, fail with a status (429 with Retry-After, 500, 503, ...) or return broken JSON, so the
product's retry and error paths run against the same clients it uses in production.
Rules are checked in insertion order; the first active match applies and uses up one of its
``times``. Control paths are never faulted.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.sandbox.notion import PREFIX as NOTION_PREFIX
from infra.sandbox.notion import notion_error_response
from infra.sandbox.notion_model import NotionError
from infra.sandbox.state import FaultRule, SandboxState, is_control_path

_NOTION_CODES = {
    400: ("validation_error", "The request body does not match the expected schema."),
    401: ("unauthorized", "API token is invalid."),
    403: ("restricted_resource", "API token does not have access to this resource."),
    404: ("object_not_found", "Could not find the requested object."),
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    502: ("internal_server_error", "Bad gateway."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
    504: ("gateway_timeout", "The request timed out."),
}
_MALFORMED_NOTION = b'{"object": "list", "results": [{"object": "page", "id": "'


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
    code: str | None = Field(default=None, description="override the Notion error code")

    @field_validator("path")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from exc
        return value

    def to_rule(self) -> FaultRule:
        """The stored rule; its id is assigned by ``SandboxState.add_fault``."""
        return FaultRule(id="", pattern=re.compile(self.path), **self.model_dump())


def _notion_error(rule: FaultRule, status: int) -> NotionError:
    default = ("internal_server_error", "Unexpected error occurred.")
    if status < 500:
        default = ("invalid_request", "This request is not supported.")
    code, message = _NOTION_CODES.get(status, default)
    return NotionError(status, rule.code or code, f"{message} (injected by sandbox {rule.id})")


def fault_response(rule: FaultRule, path: str) -> Response:
    """The response a status/malformed rule answers with instead of the real handler."""
    status = rule.status if rule.status is not None else 200
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    is_notion = path.startswith(NOTION_PREFIX + "/")
    if rule.malformed:
        body = _MALFORMED_NOTION if is_notion else b'{"ok": tr'
        return Response(body, status, headers=headers, media_type="application/json")
    if is_notion:
        response = notion_error_response(_notion_error(rule, status))
        response.headers.update(headers)
        return response
    payload: dict[str, Any] = {"error": "injected fault", "status": status, "fault_id": rule.id}
    return JSONResponse(payload, status, headers=headers)


class FaultMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed bodies)."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        rule = self.state.take_fault(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        scope["sandbox.fault_id"] = rule.id
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.status is None and not rule.malformed:
            await self.app(scope, receive, send)  # pure latency
            return
        await fault_response(rule, scope["path"])(scope, receive, send)
