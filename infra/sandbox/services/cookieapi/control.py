"""Control routes of the fake schedule API, under ``/_sandbox/cookieapi``.

POST /entries     {"entries": [...], "replace": false}: add or replace entries by id
                  (served as given: invalid entries too)
POST /remove      {"ids": [...]}: drop entries (an id-less one by "#<position>")
POST /on_call     {"call": n, "entries": [...]}: merge these just before answering call n
POST /generate    {"count": n, "prefix": "bench-", "replace": true}: n valid entries
POST /token       {"token": "..." | null}: the bearer token required (null: none)
POST /raw         {"body": "..." | null, "content_type": ...}: serve this instead
GET  /entries     what the API serves now
GET  /requests    GETs received (auth scheme, status), oldest first
GET  /stats       {"calls", "auth_failures", "entries", "pending_calls"}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from infra.sandbox.services.cookieapi.seeds import generated
from infra.sandbox.services.cookieapi.state import CookieApiState


class EntriesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[Any]
    replace: bool = False


class RemoveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str]


class OnCallSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call: int = Field(ge=1)
    entries: list[Any]


class GenerateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0, le=200_000)
    prefix: str = Field(default="gen-", pattern=r"^[a-z0-9-]{1,20}$")
    replace: bool = True
    variant: int = Field(default=0, ge=0, description="shifts every entry's minute")


class TokenSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str | None


class RawSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str | None
    content_type: str = "application/json"


def build_router(state: CookieApiState) -> APIRouter:
    router = APIRouter()

    @router.post("/entries")
    async def cookieapi_entries(spec: EntriesSpec) -> dict[str, Any]:
        return {"entries": state.put(spec.entries, spec.replace)}

    @router.post("/remove")
    async def cookieapi_remove(spec: RemoveSpec) -> dict[str, Any]:
        return {"entries": state.remove(spec.ids)}

    @router.post("/on_call")
    async def cookieapi_on_call(spec: OnCallSpec) -> dict[str, Any]:
        state.change_on_call(spec.call, spec.entries)
        return state.stats()

    @router.post("/generate")
    async def cookieapi_generate(spec: GenerateSpec) -> dict[str, Any]:
        made = generated(spec.count, spec.prefix, spec.variant)
        return {"entries": state.put(made, spec.replace)}

    @router.post("/token")
    async def cookieapi_token(spec: TokenSpec) -> dict[str, Any]:
        state.set_token(spec.token)
        return state.stats()

    @router.post("/raw")
    async def cookieapi_raw(spec: RawSpec) -> dict[str, Any]:
        state.set_raw(spec.body, spec.content_type)
        return state.stats()

    @router.get("/entries")
    async def cookieapi_list() -> list[Any]:
        with state.lock:
            return list(state.entries)

    @router.get("/requests")
    async def cookieapi_requests() -> list[dict[str, Any]]:
        return state.requests()

    @router.get("/stats")
    async def cookieapi_stats() -> dict[str, Any]:
        return state.stats()

    return router
