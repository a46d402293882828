"""The public side of the fake Google Books API v1, as google-api-python-client calls it.

GET  /books/v1/volumes            volumes.list (q, startIndex, maxResults <= 40, langRestrict, key)
GET  /books/v1/volumes/{id}       volumes.get
POST /batch/books/v1              a multipart/mixed batch of such requests, as
                                  ``BatchHttpRequest`` sends it; every part counts against
                                  the key's quota, the HTTP request's latency is paid once
"""

from __future__ import annotations

import asyncio
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from infra.sandbox.core.paths import service_prefix
from infra.sandbox.services.googlebooks import errors
from infra.sandbox.services.googlebooks.errors import GoogleError
from infra.sandbox.services.googlebooks.state import GoogleBooksState

_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
}


def build_router(state: GoogleBooksState, name: str) -> APIRouter:
    router = APIRouter()
    prefix = service_prefix(name)

    async def arrive() -> None:
        state.count_http()
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)

    @router.get("/books/v1/volumes")
    async def list_volumes(request: Request) -> dict[str, Any]:
        await arrive()
        return state.list_volumes(dict(request.query_params))

    @router.get("/books/v1/volumes/{volume_id}")
    async def get_volume(volume_id: str, request: Request) -> dict[str, Any]:
        await arrive()
        return _get(state, volume_id, dict(request.query_params))

    @router.post("/batch/books/v1")
    @router.post("/batch")
    async def batch(request: Request) -> Response:
        await arrive()
        content_type = request.headers.get("content-type", "")
        raw = await request.body()
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        if not message.is_multipart():
            raise errors.invalid_value("Batch request must be multipart/mixed.")
        boundary = "batch_sandbox_boundary"
        parts = []
        for part in message.iter_parts():
            content_id = str(part.get("Content-ID", "")).strip()
            inner = content_id[1:-1] if content_id.startswith("<") else content_id
            status, body = _answer_part(state, prefix, part.get_payload(decode=True) or b"")
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{inner}>\r\n\r\n"
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                "Content-Type: application/json; charset=UTF-8\r\n\r\n"
                f"{json.dumps(body)}\r\n"
            )
        text = "".join(parts) + f"--{boundary}--\r\n"
        return Response(text, media_type=f"multipart/mixed; boundary={boundary}")

    return router


def _get(state: GoogleBooksState, volume_id: str, params: dict[str, str]) -> dict[str, Any]:
    state.admit(params.get("key"))
    with state.lock:
        found = state.volumes.get(volume_id)
    if found is None:
        raise errors.not_found("The volume ID could not be found.")
    return found.resource


def _answer_part(state: GoogleBooksState, prefix: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    """One part of a batch: ``GET <path>?<query> HTTP/1.1`` plus headers."""
    request_line = raw.decode("utf-8", errors="replace").split("\n", 1)[0].strip()
    try:
        method, target, _ = request_line.split(" ", 2)
    except ValueError:
        return 400, errors.invalid_value("Malformed batch part.").body
    url = urlsplit(target)
    path = url.path.removeprefix(prefix)
    params = dict(parse_qsl(url.query, keep_blank_values=True))
    try:
        if method.upper() != "GET":
            raise errors.invalid_value(f"{method} is not supported in a batch here.")
        if path == "/books/v1/volumes":
            return 200, state.list_volumes(params)
        if path.startswith("/books/v1/volumes/"):
            return 200, _get(state, path.rsplit("/", 1)[1], params)
        raise errors.not_found()
    except GoogleError as exc:
        return exc.status, exc.body
