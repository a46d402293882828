"""Control routes of the catalogue, under ``/_sandbox/catalogue``.

Bad bodies answer 400 with every problem listed:
  POST /items     {"feed", "items": [...], "replace"} add (or replace) a feed's items
  POST /raw       {"feed", "body", "content_type"} serve a body that is no feed; null clears
  POST /auth      {"username", "password"} | {"token"} | {} what a request must carry
  GET  /requests  feed requests: path, user_agent, if_none_match, if_modified_since,
                  auth scheme, status, at
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ValidationError

from infra.sandbox.services.catalogue.specs import AuthSpec, ItemsSpec, RawSpec
from infra.sandbox.services.catalogue.state import CatalogueState

_Spec = TypeVar("_Spec", bound=BaseModel)


async def _body(request: Request, model: type[_Spec]) -> _Spec:
    try:
        raw = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise HTTPException(400, f"body is not JSON: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        ]
        raise HTTPException(400, "; ".join(problems)) from exc


def build_router(state: CatalogueState) -> APIRouter:
    router = APIRouter()

    @router.post("/items")
    async def catalogue_items(request: Request) -> dict[str, Any]:
        spec = await _body(request, ItemsSpec)
        return state.put_items(spec.feed, spec.items, spec.replace)

    @router.post("/raw")
    async def catalogue_raw(request: Request) -> dict[str, Any]:
        spec = await _body(request, RawSpec)
        return state.set_raw(spec.feed, spec.body, spec.content_type)

    @router.post("/auth")
    async def catalogue_auth(request: Request) -> dict[str, str]:
        spec = await _body(request, AuthSpec)
        state.set_auth(spec)
        kind = "bearer" if spec.token else "basic" if spec.username else "none"
        return {"auth": kind}

    @router.get("/requests")
    async def catalogue_requests() -> list[dict[str, Any]]:
        return state.requests()

    return router
