"""Control API under ``/_sandbox``: how tests and the demo set up and inspect the sandbox.

Never faulted and never written to the request log, so assertions on traffic only see
what the product itself sent.

Camera portal (``infra.sandbox.camera``; bad bodies answer 400 with every problem listed):
  POST /camera/portal           create/replace the portal -> {"streams": {name: [frame...]}}
  GET  /camera/frames/{stream}  listed frames, newest first, with kind and sha256 of the body
  POST /camera/clock            {"now": ISO | null} fixes or frees the portal clock
  POST /camera/expire           {"after_requests": n} drops all sessions after n successes
  GET  /camera/stats            {"logins", "failed_logins", "sessions"}
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra.sandbox import camera, notion, seeds, webhooks
from infra.sandbox.faults import FaultSpec
from infra.sandbox.notion_model import NotionError, normalize_id
from infra.sandbox.state import CONTROL_PREFIX, SandboxState


class DatabaseSpec(BaseModel):
    """Body of ``POST /_sandbox/notion/databases`` (see ``notion.seed_database``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    token: str
    title: str = "Saved links"
    rows: list[dict[str, Any]] = Field(default_factory=list)
    schema_spec: dict[str, Any] | None = Field(default=None, alias="schema")
    database_id: str | None = None
    data_source_id: str | None = None


_Spec = TypeVar("_Spec", bound=BaseModel)
_NO_PORTAL = "no camera portal; create one with POST /_sandbox/camera/portal"


async def _camera_body(request: Request, model: type[_Spec]) -> _Spec:
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


def _object_id(raw: str) -> str:
    try:
        return normalize_id(raw, "id")
    except NotionError as exc:
        raise HTTPException(404, exc.message) from exc


def build_router(state: SandboxState) -> APIRouter:
    """All control routes."""
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["control"])

    @router.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @router.post("/reset")
    async def reset() -> dict[str, bool]:
        state.reset()
        return {"ok": True}

    @router.post("/notion/databases")
    async def create_database(spec: DatabaseSpec) -> dict[str, Any]:
        try:
            return notion.seed_database(
                state,
                token=spec.token,
                title=spec.title,
                rows=spec.rows,
                schema=spec.schema_spec,
                database_id=spec.database_id,
                data_source_id=spec.data_source_id,
            )
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.get("/notion/pages/{page_id}")
    async def notion_page(page_id: str) -> dict[str, Any]:
        record = notion.page_record(state, _object_id(page_id))
        if record is None:
            raise HTTPException(404, f"no page {page_id}")
        return record

    @router.get("/notion/databases/{database_id}/pages")
    async def notion_pages(database_id: str) -> list[dict[str, Any]]:
        records = notion.database_page_records(state, _object_id(database_id))
        if records is None:
            raise HTTPException(404, f"no database {database_id}")
        return records

    @router.post("/seed/{name}")
    async def seed(name: str, request: Request) -> dict[str, Any]:
        if name not in seeds.SEEDS:
            raise HTTPException(404, f"unknown seed {name!r}; known: {sorted(seeds.SEEDS)}")
        base_url = state.base_url or str(request.base_url).rstrip("/")
        return seeds.apply_seed(state, name, base_url)

    @router.post("/faults")
    async def add_fault(spec: FaultSpec) -> dict[str, str]:
        return {"id": state.add_fault(spec.to_rule()).id}

    @router.get("/faults")
    async def list_faults() -> list[dict[str, Any]]:
        with state.lock:
            return [rule.to_json() for rule in state.faults]

    @router.delete("/faults")
    async def clear_faults() -> dict[str, bool]:
        with state.lock:
            state.faults.clear()
        return {"ok": True}

    @router.delete("/faults/{fault_id}")
    async def delete_fault(fault_id: str) -> dict[str, bool]:
        with state.lock:
            before = len(state.faults)
            state.faults[:] = [rule for rule in state.faults if rule.id != fault_id]
            if len(state.faults) == before:
                raise HTTPException(404, f"no fault {fault_id}")
        return {"ok": True}

    @router.get("/requests")
    async def list_requests(path: str | None = None, method: str | None = None) -> list[dict]:
        try:
            pattern = re.compile(path) if path else None
        except re.error as exc:
            raise HTTPException(400, f"invalid path regex: {exc}") from exc
        with state.lock:
            records = list(state.requests)
        return [
            r.to_json()
            for r in records
            if (pattern is None or pattern.search(r.path))
            and (method is None or r.method.upper() == method.upper())
        ]

    @router.delete("/requests")
    async def clear_requests() -> dict[str, bool]:
        with state.lock:
            state.requests.clear()
        return {"ok": True}

    @router.get("/webhooks/{name}")
    async def webhook_deliveries(name: str) -> list[dict[str, Any]]:
        return webhooks.deliveries(state, name)

    # Listing digests may render JPEGs: that runs in the threadpool, off the event loop.
    @router.post("/camera/portal")
    async def camera_portal(request: Request) -> dict[str, Any]:
        spec = await _camera_body(request, camera.PortalSpec)
        return await run_in_threadpool(camera.configure_portal, state, spec)

    @router.get("/camera/frames/{stream}")
    def camera_frames(stream: str) -> list[dict[str, Any]]:
        frames = camera.listed_frames(state, stream)
        if frames is None:
            missing = _NO_PORTAL if state.camera is None else f"no camera stream {stream!r}"
            raise HTTPException(404, missing)
        return frames

    @router.post("/camera/clock")
    async def camera_clock(request: Request) -> dict[str, str | None]:
        answer = camera.set_clock(state, await _camera_body(request, camera.ClockSpec))
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    @router.post("/camera/expire")
    async def camera_expire(request: Request) -> dict[str, int]:
        answer = camera.expire(state, await _camera_body(request, camera.ExpireSpec))
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    @router.get("/camera/stats")
    async def camera_stats() -> dict[str, int]:
        answer = camera.stats(state)
        if answer is None:
            raise HTTPException(404, _NO_PORTAL)
        return answer

    return router
