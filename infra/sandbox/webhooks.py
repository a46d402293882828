"""Fake webhook receiver: ``POST /webhooks/{name}`` records whatever was delivered.

Notification code under test posts here; tests read deliveries back through
``GET /_sandbox/webhooks/{name}``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from infra.sandbox.state import SandboxState, iso_ms

PREFIX = "/webhooks"


def build_router(state: SandboxState) -> APIRouter:
    """One catch-all receiver per name."""
    router = APIRouter(prefix=PREFIX)

    @router.post("/{name}")
    async def receive(name: str, request: Request) -> dict[str, Any]:
        raw = await request.body()
        text = raw.decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(raw) if raw else None
            is_json = bool(raw)
        except ValueError:
            body, is_json = text, False
        delivery = {
            "name": name,
            "at": iso_ms(state.now_ms()),
            "method": request.method,
            "query": request.url.query,
            "headers": dict(request.headers),
            "content_type": request.headers.get("content-type"),
            "json": is_json,
            "body": body,
        }
        with state.lock:
            state.webhooks.setdefault(name, []).append(delivery)
        return {"ok": True}

    return router


def deliveries(state: SandboxState, name: str) -> list[dict[str, Any]]:
    """Copies of the deliveries received for ``name`` (oldest first)."""
    with state.lock:
        return [dict(d) for d in state.webhooks.get(name, [])]
