"""The public side of the fake webhook receiver: ``POST /webhooks/{name}`` records whatever
was delivered; tests read it back through the control API."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from infra.sandbox.core.clock import Clock, iso_ms
from infra.sandbox.services.webhooks.state import WebhookState


def build_router(state: WebhookState, clock: Clock) -> APIRouter:
    """One catch-all receiver per name."""
    router = APIRouter()

    @router.post("/{name}")
    async def receive(name: str, request: Request) -> dict[str, Any]:
        raw = await request.body()
        text = raw.decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(raw) if raw else None
            is_json = bool(raw)
        except ValueError:
            body, is_json = text, False
        state.record(
            {
                "name": name,
                "at": iso_ms(clock.tick_ms()),
                "method": request.method,
                "query": request.url.query,
                "headers": dict(request.headers),
                "content_type": request.headers.get("content-type"),
                "json": is_json,
                "body": body,
            }
        )
        return {"ok": True}

    return router
