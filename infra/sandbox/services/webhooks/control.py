"""Control routes of the webhook receiver, under ``/_sandbox/webhooks``.

GET /{name}   deliveries received at ``POST /webhooks/{name}``, oldest first
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from infra.sandbox.services.webhooks.state import WebhookState


def build_router(state: WebhookState) -> APIRouter:
    """Reading deliveries back."""
    router = APIRouter()

    @router.get("/{name}")
    async def webhook_deliveries(name: str) -> list[dict[str, Any]]:
        return state.deliveries(name)

    return router
