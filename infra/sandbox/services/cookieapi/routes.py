"""The public side of the fake schedule API: the seed's format, behind a bearer token.

  GET /cookieapi/schedules   {"data": [{"domain_config_id": ..., "data": {...}}, ...]}

Without the right ``Authorization: Bearer <token>`` (when a token is set) the answer is
401 with ``WWW-Authenticate: Bearer`` and the API's error body
``{"error": {"code": "unauthorized", "message": ...}}``; every error it gives, injected
faults included, has that shape.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from infra.sandbox.services.cookieapi.state import CookieApiState


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _authorized(state: CookieApiState, header: str | None) -> bool:
    token = state.token
    if token is None:
        return True
    return header is not None and secrets.compare_digest(header, f"Bearer {token}")


def build_router(state: CookieApiState) -> APIRouter:
    router = APIRouter()

    @router.get("/schedules")
    async def schedules(request: Request) -> Response:
        header = request.headers.get("authorization")
        ok = _authorized(state, header)
        entries, raw = state.serve(ok)
        state.record(
            {
                "path": request.url.path,
                "auth": (header or " ").split(" ", 1)[0].lower() or None,
                "user_agent": request.headers.get("user-agent"),
                "status": 200 if ok else 401,
            }
        )
        if not ok:
            message = "missing bearer token" if not header else "invalid bearer token"
            return JSONResponse(
                error_body("unauthorized", message),
                401,
                headers={"WWW-Authenticate": 'Bearer realm="schedules"'},
            )
        if raw is not None:
            return Response(raw[0], 200, media_type=raw[1])
        return JSONResponse({"data": entries})

    return router
