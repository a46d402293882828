"""Assembles the sandbox: one FastAPI app, one router per fake service.

To add a fake service, write a module with ``build_router(...) -> APIRouter`` under its own
prefix and include it here. Fault injection and the request log wrap every router.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from infra.sandbox import camera, control, media, notion, seeds, webhooks
from infra.sandbox.faults import FaultMiddleware
from infra.sandbox.notion_model import NotionError
from infra.sandbox.requestlog import RequestLogMiddleware
from infra.sandbox.state import CONTROL_PREFIX, SandboxState


def create_app(base_url: str | None = None, seed: str | None = None) -> FastAPI:
    """Build the app. ``base_url`` is how clients reach it (needed by seeds with URLs)."""
    state = SandboxState(base_url=base_url)
    app = FastAPI(
        title="Sandbox of outside services",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
    )
    app.state.sandbox = state

    async def on_notion_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotionError)
        return notion.notion_error_response(exc)

    app.add_exception_handler(NotionError, on_notion_error)
    app.include_router(control.build_router(state))
    app.include_router(notion.build_router(state))
    app.include_router(media.build_router())
    app.include_router(webhooks.build_router(state))
    app.include_router(camera.build_router(state))
    # Added last = outermost: the log sees the final status, including injected faults.
    app.add_middleware(FaultMiddleware, state=state)
    app.add_middleware(RequestLogMiddleware, state=state)
    if seed is not None:
        if base_url is None:
            raise ValueError("seeding needs the sandbox's base_url")
        seeds.apply_seed(state, seed, base_url)
    return app
