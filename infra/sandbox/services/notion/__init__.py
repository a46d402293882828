"""Fake Notion API under ``/notion``: databases with their data sources, queried and
updated by the product through the real notion-client."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from infra.sandbox.core.faults import FaultRule
from infra.sandbox.core.service import Core, ExceptionHandler, Seeded, Service
from infra.sandbox.services.notion import control, routes, seeds
from infra.sandbox.services.notion.client import NotionClient
from infra.sandbox.services.notion.errors import (
    MALFORMED_BODY,
    NotionError,
    error_response,
    injected_error,
)
from infra.sandbox.services.notion.state import NotionState


class NotionService(Service):
    """Errors, injected ones too, are Notion's error JSON, which notion-client parses."""

    name = "notion"
    client = NotionClient
    seed_names = frozenset({"demo"})
    malformed_body = MALFORMED_BODY

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = NotionState(self.lock, self.clock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def exception_handlers(self) -> dict[type[Exception], ExceptionHandler]:
        async def on_notion_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, NotionError)
            return error_response(exc)

        return {NotionError: on_notion_error}

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        return error_response(injected_error(status, rule.id, rule.code))

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.sandbox_url, self.base_url)


SERVICE = NotionService
