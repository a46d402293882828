"""Control routes of the camera portal, under ``/_sandbox/camera``.

Bad bodies answer 400 with every problem listed:
  POST /portal           create/replace the portal -> {"streams": {name: [frame...]}}
  GET  /frames/{stream}  listed frames, newest first, with kind and sha256 of the body
  POST /clock            {"now": ISO | null} fixes or frees the portal clock
  POST /expire           {"after_requests": n} drops all sessions after n successes
  GET  /stats            {"logins", "failed_logins", "sessions"}
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError

from infra.sandbox.services.camera.specs import ClockSpec, ExpireSpec, PortalSpec
from infra.sandbox.services.camera.state import CameraState

_Spec = TypeVar("_Spec", bound=BaseModel)
_NO_PORTAL = "no camera portal; create one with POST /_sandbox/camera/portal"


async def _body(request: Request, model: type[_Spec]) -> _Spec:
    """Validate by hand: camera callers get 400 with readable messages, not FastAPI's 422."""
    try:
        raw = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise HTTPException(400, f"body is not JSON: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "body"
            given = error.get("input")
            shown = isinstance(given, str | int | float) and repr(given) not in error["msg"]
            got = f" (got {given!r})" if shown else ""
            problems.append(f"{where}: {error['msg']}{got}")
        raise HTTPException(400, "; ".join(problems)) from exc


def build_router(state: CameraState) -> APIRouter:
    """Portal set-up, inspection, clock and session faults."""
    router = APIRouter()

    # Listing digests may render JPEGs: that runs in the threadpool, off the event loop.
    @router.post("/portal")
    async def camera_portal(request: Request) -> dict[str, Any]:
        spec = await _body(request, PortalSpec)
        return await run_in_threadpool(state.configure, spec)

    @router.get("/frames/{stream}")
    def camera_frames(stream: str) -> list[dict[str, Any]]:
        frames = state.listed_frames(stream)
        if frames is None:
            missing = _NO_PORTAL if state.portal is None else f"no camera stream {stream!r}"
            raise HTTPException(404, missing)
        return frames

    @router.post("/clock")
    async def camera_clock(request: Request) -> dict[str, str | None]:
        answer = state.set_clock(await _body(request, ClockSpec))
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    @router.post("/expire")
    async def camera_expire(request: Request) -> dict[str, int]:
        answer = state.expire(await _body(request, ExpireSpec))
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    @router.get("/stats")
    async def camera_stats() -> dict[str, int]:
        answer = state.stats()
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    return router
