"""Fake cookie-schedule API under ``/cookieapi``: the seed's ``{"data": [...]}`` schedule
list behind a bearer token, entries a test (or the demo seed) sets, invalid ones
included, and changes that appear on a given call."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.responses import Response

from infra.sandbox.core.faults import FaultRule
from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.cookieapi import control, routes, seeds
from infra.sandbox.services.cookieapi.client import CookieApiClient
from infra.sandbox.services.cookieapi.state import CookieApiState


class CookieApiService(Service):
    """Open (no token) until a test or the seed sets one; injected faults answer in the
    API's own error shape."""

    name = "cookieapi"
    client = CookieApiClient
    seed_names = frozenset({"demo"})
    malformed_body = b'{"data": [{"domain_config_id": "demo-one'

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = CookieApiState(self.lock, self.clock)

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        code = rule.code or ("rate_limited" if status == 429 else "server_error")
        return JSONResponse(routes.error_body(code, f"injected fault {rule.id}"), status)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url)


SERVICE = CookieApiService
