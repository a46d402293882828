"""Fake YouTube Data API v3 under ``/youtube``, over HTTPS: the OAuth token endpoint,
resumable ``videos.insert``, ``thumbnails.set`` and ``videos.list`` with statistics, with
YouTube's quota and error formats, as google-api-python-client calls them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from starlette.responses import Response

from infra.sandbox.core.faults import FaultRule
from infra.sandbox.core.service import Core, ExceptionHandler, Seeded, Service
from infra.sandbox.services.youtube import control, routes, seeds
from infra.sandbox.services.youtube.client import YouTubeClient
from infra.sandbox.services.youtube.errors import YouTubeError, error_response, injected
from infra.sandbox.services.youtube.state import CHANNEL_ID, YouTubeState


class YouTubeService(Service):
    """Secure: the client library builds upload URLs with ``https://`` whatever the
    endpoint says, so the service lives on the sandbox's TLS listener. Injected faults
    answer in YouTube's error format (a 403 is ``quotaExceeded``)."""

    name = "youtube"
    client = YouTubeClient
    secure = True
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.state = YouTubeState(self.lock)  # its own clock: see YouTubeState

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def root_paths(self) -> Sequence[str]:
        return ("/upload/youtube/",)

    def control_routes(self) -> APIRouter:
        config = {
            "api_endpoint": self.base_url,
            "token_uri": f"{self.base_url}/token",
            "ca_bundle": self.ca_bundle,
        }
        return control.build_router(self.state, config)

    def exception_handlers(self) -> dict[type[Exception], ExceptionHandler]:
        async def on_youtube_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, YouTubeError)
            return error_response(exc)

        return {YouTubeError: on_youtube_error}

    def fault_response(self, rule: FaultRule, status: int) -> Response:
        return error_response(injected(status, rule.code))

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        return seeds.seed_demo(self.state, self.base_url, self.ca_bundle)


SERVICE = YouTubeService
__all__ = ["CHANNEL_ID", "SERVICE"]
