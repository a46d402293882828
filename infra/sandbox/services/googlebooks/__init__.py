"""Fake Google Books API v1 under ``/googlebooks``: volume search with per-key daily
quotas, Google's error JSON and the multipart batch endpoint, as google-api-python-client
calls them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from infra.sandbox.core.faults import FaultRule
from infra.sandbox.core.service import Core, ExceptionHandler, Seeded, Service
from infra.sandbox.services.googlebooks import control, routes, seeds
from infra.sandbox.services.googlebooks.client import GoogleBooksClient
from infra.sandbox.services.googlebooks.errors import GoogleError, error_response, injected
from infra.sandbox.services.googlebooks.state import GoogleBooksState


class GoogleBooksService(Service):
    """Errors, injected ones too, are Google's JSON: a client tells a per-day quota from
    a per-minute one, and a bad key from a disabled API, by their reasons only."""

    name = "googlebooks"
    client = GoogleBooksClient
    seed_names = frozenset({"demo"})
    malformed_body = b'{"kind": "books#volumes", "totalItems": 3, "items": [{"id": "'

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = GoogleBooksState(self.lock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state, self.name)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def exception_handlers(self) -> dict[type[Exception], ExceptionHandler]:
        async def on_google_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, GoogleError)
            return error_response(exc)

        return {GoogleError: on_google_error}

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        return error_response(injected(status, rule.code))

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = GoogleBooksService
