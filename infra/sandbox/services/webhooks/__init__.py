"""Fake webhook receiver under ``/webhooks``: any name accepts any body, and keeps it for
the test (or the demo's reader) to look at."""

from __future__ import annotations

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.webhooks import control, routes, seeds
from infra.sandbox.services.webhooks.client import WebhooksClient
from infra.sandbox.services.webhooks.state import WebhookState


class WebhooksService(Service):
    """Deliveries are stamped with the sandbox clock's tick, so they sort in arrival order."""

    name = "webhooks"
    client = WebhooksClient
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = WebhookState(self.lock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state, self.clock)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.base_url)


SERVICE = WebhooksService
