"""The public routes of the fake Notion API (the subset the product uses).

Callers point notion-client at it with ``Client(auth=..., base_url=SANDBOX + "/notion")``;
the client then sends ``/notion/v1/...``. Each database has its own integration token;
requests for a database, its data source or its pages must carry that token.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from infra.sandbox.core.clock import iso_ms
from infra.sandbox.services.notion.errors import NotionError, validation_error
from infra.sandbox.services.notion.model import (
    NotionDatabase,
    NotionDataSource,
    NotionPage,
    find_property,
    normalize_id,
    parse_api_value,
)
from infra.sandbox.services.notion.query import run_query
from infra.sandbox.services.notion.render import (
    render_data_source,
    render_database,
    render_listed_data_source,
    render_page,
)
from infra.sandbox.services.notion.state import NotionState

_NOT_SHARED = "Make sure the relevant pages and databases are shared with your integration."


def _ok(payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse({**payload, "request_id": str(uuid.uuid4())})


def _not_found(kind: str, object_id: str) -> NotionError:
    return NotionError(
        404, "object_not_found", f"Could not find {kind} with ID: {object_id}. {_NOT_SHARED}"
    )


def _check_headers(state: NotionState, request: Request) -> str:
    """Version header first, then a token that at least exists; returns the token."""
    if not request.headers.get("notion-version"):
        raise NotionError(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be "
            "defined, instead was `undefined`.",
        )
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    if not token or all(db.token != token for db in state.databases.values()):
        raise NotionError(401, "unauthorized", "API token is invalid.")
    return token


def _authorize(db: NotionDatabase, token: str) -> None:
    if token != db.token:
        raise NotionError(401, "unauthorized", "API token is invalid.")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise NotionError(400, "invalid_json", "Error parsing JSON body.") from exc
    if not isinstance(data, dict):
        raise validation_error("body failed validation: body should be an object.")
    return data


def _data_source(
    state: NotionState, data_source_id: str
) -> tuple[NotionDataSource, NotionDatabase]:
    source = state.data_sources.get(data_source_id)
    if source is None:
        raise _not_found("data source", data_source_id)
    return source, state.databases[source.database_id]


def _page_and_source(
    state: NotionState, page_id: str
) -> tuple[NotionPage, NotionDataSource, NotionDatabase]:
    page = state.pages.get(page_id)
    if page is None:
        raise _not_found("page", page_id)
    return page, *_data_source(state, page.data_source_id)


def _apply_patch(
    state: NotionState,
    page: NotionPage,
    source: NotionDataSource,
    db: NotionDatabase,
    body: dict,
) -> None:
    """Validate everything first, then apply; a rejected PATCH changes nothing."""
    props = body.get("properties")
    if props is not None and not isinstance(props, dict):
        raise validation_error("body failed validation: body.properties should be an object.")
    trash = body.get("in_trash", body.get("archived"))
    if trash is not None and not isinstance(trash, bool):
        raise validation_error("body failed validation: body.in_trash should be a boolean.")
    if page.in_trash and props and trash is not False:
        raise validation_error(
            "Can't edit block that is archived. You must unarchive the block before editing."
        )
    option_backup = {name: list(p.options) for name, p in source.schema.items()}
    parsed: dict[str, Any] = {}
    try:
        for key, raw in (props or {}).items():
            prop = find_property(source.schema, key)
            if prop is None:
                raise validation_error(f"{key} is not a property that exists.")
            parsed[prop.name] = parse_api_value(prop, raw, may_add_options=db.allow_new_options)
    except NotionError:
        for name, options in option_backup.items():
            source.schema[name].options = options
        raise
    page.values.update(parsed)
    if trash is not None:
        page.in_trash = trash
    page.last_edited_ms = state.clock.tick_ms()
    entry: dict[str, Any] = {"at": iso_ms(page.last_edited_ms)}
    entry["properties"] = copy.deepcopy(props or {})
    if trash is not None:
        entry["in_trash"] = trash
    page.history.append(entry)


def build_router(state: NotionState) -> APIRouter:
    """All Notion routes; errors are raised as ``NotionError`` and rendered by the app."""
    router = APIRouter()

    @router.get("/v1/databases/{database_id}")
    async def retrieve_database(database_id: str, request: Request) -> JSONResponse:
        with state.lock:
            token = _check_headers(state, request)
            db_id = normalize_id(database_id, "database_id")
            db = state.databases.get(db_id)
            if db is None:
                raise _not_found("database", db_id)
            _authorize(db, token)
            return _ok(render_database(db, state.sources_of(db)))

    @router.get("/v1/data_sources/{data_source_id}")
    async def retrieve_data_source(data_source_id: str, request: Request) -> JSONResponse:
        with state.lock:
            token = _check_headers(state, request)
            source, db = _data_source(state, normalize_id(data_source_id, "data_source_id"))
            _authorize(db, token)
            return _ok(render_data_source(db, source))

    @router.post("/v1/data_sources/{data_source_id}/query")
    async def query_data_source(data_source_id: str, request: Request) -> JSONResponse:
        body = await _json_body(request)
        with state.lock:
            token = _check_headers(state, request)
            source, db = _data_source(state, normalize_id(data_source_id, "data_source_id"))
            _authorize(db, token)
            include_trash = body.get("in_trash") is True or body.get("archived") is True
            pages = [
                p
                for p in state.pages.values()
                if p.data_source_id == source.id and (include_trash or not p.in_trash)
            ]
            batch, next_cursor = run_query(pages, source.children, source.schema, body)
            return _ok(
                {
                    "object": "list",
                    "results": [
                        render_page(source, entry)
                        if isinstance(entry, NotionPage)
                        else render_listed_data_source(source, entry)
                        for entry in batch
                    ],
                    "next_cursor": next_cursor,
                    "has_more": next_cursor is not None,
                    "type": "page_or_data_source",
                    "page_or_data_source": {},
                }
            )

    @router.get("/v1/pages/{page_id}")
    async def retrieve_page(page_id: str, request: Request) -> JSONResponse:
        with state.lock:
            token = _check_headers(state, request)
            page, source, db = _page_and_source(state, normalize_id(page_id, "page_id"))
            _authorize(db, token)
            return _ok(render_page(source, page))

    @router.patch("/v1/pages/{page_id}")
    async def update_page(page_id: str, request: Request) -> JSONResponse:
        body = await _json_body(request)
        with state.lock:
            token = _check_headers(state, request)
            page, source, db = _page_and_source(state, normalize_id(page_id, "page_id"))
            _authorize(db, token)
            _apply_patch(state, page, source, db, body)
            return _ok(render_page(source, page))

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def unknown_route(rest: str) -> JSONResponse:
        raise NotionError(400, "invalid_request_url", "Invalid request URL.")

    return router
