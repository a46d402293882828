"""Control routes of the fake Google Books, under ``/_sandbox/googlebooks``.

POST /keys        {"key", "daily_quota", "enabled"}: register an API key (enabled false:
                  the Books API is "not enabled" for its project, 403 SERVICE_DISABLED)
POST /volumes     {"volumes": [{"volume": <volume resource>, "answers_isbns": [...]}]} -> ids
POST /settings    {"latency_ms", "total_items_padding"} (either may be left out)
POST /inject-429  {"per": "day"|"minute", "times": N}: the next N API requests answer 429
GET  /stats       {"http_requests", "api_requests", "queries", "keys": {key: {used, ...}}}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.services.googlebooks.state import GoogleBooksState


class KeySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    daily_quota: int = Field(default=1000, ge=0)
    enabled: bool = True


class VolumeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volume: dict[str, Any]
    answers_isbns: list[str] = Field(default_factory=list)


class VolumesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volumes: list[VolumeSpec]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latency_ms: int | None = Field(default=None, ge=0)
    total_items_padding: int | None = Field(default=None, ge=0)


class Inject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per: str
    times: int = Field(default=1, ge=1)


def build_router(state: GoogleBooksState) -> APIRouter:
    router = APIRouter()

    @router.post("/keys")
    async def add_key(spec: KeySpec) -> dict[str, Any]:
        state.add_key(spec.key, spec.daily_quota, spec.enabled)
        return {"key": spec.key}

    @router.post("/volumes")
    async def add_volumes(spec: VolumesSpec) -> dict[str, Any]:
        ids = [state.add_volume(v.volume, v.answers_isbns) for v in spec.volumes]
        return {"ids": ids}

    @router.post("/settings")
    async def settings(spec: Settings) -> dict[str, Any]:
        with state.lock:
            if spec.latency_ms is not None:
                state.latency_ms = spec.latency_ms
            if spec.total_items_padding is not None:
                state.total_items_padding = spec.total_items_padding
            return {
                "latency_ms": state.latency_ms,
                "total_items_padding": state.total_items_padding,
            }

    @router.post("/inject-429")
    async def inject(spec: Inject) -> dict[str, Any]:
        try:
            state.inject_429(spec.per, spec.times)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"pending": len(state.pending_429)}

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return state.stats()

    return router
