"""The public side of the fake YouTube Data API v3, as google-api-python-client calls it
with ``client_options={"api_endpoint": <base_url>}`` and the bundled discovery document.

POST /token                                 OAuth refresh_token grant (google-auth)
GET  /youtube/v3/videos?part=&id=           videos.list (<= 50 ids), 1 unit
POST /upload/youtube/v3/videos              videos.insert, ``uploadType=resumable``: the
                                            session URI in ``Location``
PUT  /upload/youtube/v3/videos?upload_id=   a chunk (``Content-Range: bytes X-Y/N``): 308
                                            with ``Range: bytes=0-M`` until the last, then
                                            the video; ``bytes */N`` is the status query
POST /upload/youtube/v3/thumbnails/set      thumbnails.set, ``uploadType=media`` (or
                                            resumable, then PUT like a video), 50 units

The client library sends media uploads to ``https://<host of api_endpoint>/upload/...``,
dropping the endpoint's path: the service claims ``/upload/youtube/`` at the sandbox root
(``Service.root_paths``), so both spellings reach these routes. Requests other than
chunks carry a bearer token from ``/token``; a chunk is authorised by its session URI, as
on Google (the URI is the capability).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from infra.sandbox.core.disconnect import DeliberateDisconnect, drop_connection
from infra.sandbox.services.youtube import errors
from infra.sandbox.services.youtube.state import _STATUS_QUERY, Session, YouTubeState

UPLOAD_VIDEOS = "/upload/youtube/v3/videos"
UPLOAD_THUMBNAILS = "/upload/youtube/v3/thumbnails/set"
MAX_METADATA_BYTES = 64 * 1024


def build_router(state: YouTubeState) -> APIRouter:
    router = APIRouter()

    @router.post("/token")
    async def token(request: Request) -> dict[str, Any]:
        state.count("oauth.token")
        # Form-encoded, as google-auth posts it (parsed here: no python-multipart needed).
        body = await request.body()
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        return state.grant(form)

    @router.get("/youtube/v3/videos")
    async def list_videos(request: Request) -> dict[str, Any]:
        state.count("videos.list")
        state.authorize(request.headers.get("authorization"))
        return state.list_videos(dict(request.query_params))

    @router.post(UPLOAD_VIDEOS)
    async def insert_video(request: Request) -> Response:
        state.count("videos.insert")
        state.authorize(request.headers.get("authorization"))
        params = dict(request.query_params)
        if params.get("uploadType") != "resumable":
            raise errors.bad_request(
                "invalidUploadType",
                "This sandbox takes videos.insert as a resumable upload only "
                "(MediaFileUpload(..., resumable=True)).",
                location="uploadType",
            )
        body = await request.body()
        if len(body) > MAX_METADATA_BYTES:
            raise errors.bad_request("invalidVideoMetadata", "The request metadata is too large.")
        try:
            metadata = json.loads(body or b"{}")
        except ValueError:
            raise errors.bad_request("parseError", "Parse Error") from None
        if not isinstance(metadata, dict):
            raise errors.bad_request("parseError", "Parse Error")
        session = state.start_video(params, metadata, _upload_length(request))
        return _session_created(request, UPLOAD_VIDEOS, session)

    @router.post(UPLOAD_THUMBNAILS)
    async def set_thumbnail(request: Request) -> Response:
        state.count("thumbnails.set")
        state.authorize(request.headers.get("authorization"))
        params = dict(request.query_params)
        upload_type = params.get("uploadType")
        if upload_type == "resumable":
            session = state.start_thumbnail(params, _upload_length(request))
            await request.body()
            return _session_created(request, UPLOAD_THUMBNAILS, session)
        if upload_type != "media":
            raise errors.bad_request(
                "invalidUploadType",
                "thumbnails.set takes uploadType=media or resumable here.",
                location="uploadType",
            )
        image = await request.body()
        return JSONResponse(state.set_thumbnail(params, image))

    @router.put(UPLOAD_VIDEOS)
    async def video_chunk(request: Request) -> Response:
        return await _chunk(state, request)

    @router.put(UPLOAD_THUMBNAILS)
    async def thumbnail_chunk(request: Request) -> Response:
        return await _chunk(state, request)

    return router


def _upload_length(request: Request) -> int | None:
    value = request.headers.get("x-upload-content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise errors.bad_request("badContent", f"Invalid X-Upload-Content-Length: {value}")
    return int(value)


def _session_created(request: Request, path: str, session: Session) -> Response:
    """200 with the session URI in ``Location``, on the host the client used, as Google
    answers it (same path, plus ``upload_id``)."""
    query = urlencode({**session.params, "upload_id": session.upload_id})
    location = f"{request.url.scheme}://{request.url.netloc}{path}?{query}"
    return Response(status_code=200, headers={"Location": location, "Content-Length": "0"})


def _answer(status: int, session: Session, result: dict[str, Any] | None) -> Response:
    if status == 200 and result is not None:
        return JSONResponse(result)
    received = len(session.data)
    headers = {"Content-Length": "0"}
    if received:
        headers["Range"] = f"bytes=0-{received - 1}"
    return Response(status_code=308, headers=headers)


async def _chunk(state: YouTubeState, request: Request) -> Response:
    session = state.session(request.query_params.get("upload_id"))
    content_range = request.headers.get("content-range") or ""
    if _STATUS_QUERY.match(content_range.strip()):
        await request.body()
        status, result = state.status_query(session, content_range)
        return _answer(status, session, result)
    state.count("upload.chunk")
    with state.lock:
        session.chunks += 1
    start, end, total = state.parse_range(content_range)
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() else None
    state.check_chunk(session, start, end, total, declared)
    if session.dropping:
        await _drop(request)
    fault = state.take_chunk_fault()
    if fault is not None and fault.status is not None:
        await request.body()
        raise errors.injected(fault.status, None)
    drop_after = fault.drop_after if fault is not None else None
    if fault is not None and fault.drop_resends:
        with state.lock:
            session.dropping = True
    body = bytearray()
    try:
        if drop_after == 0:
            await _drop(request)
        async for piece in request.stream():
            body += piece
            if drop_after is not None and len(body) >= drop_after:
                state.store(session, start, bytes(body[:drop_after]))
                await _drop(request)
    except ClientDisconnect:
        # The client went away mid-chunk: keep what arrived, as Google may.
        state.store(session, start, bytes(body))
        raise
    if len(body) != end - start + 1:
        raise errors.bad_request(
            "badContent",
            f"Received {len(body)} bytes for Content-Range {start}-{end}",
        )
    state.store(session, start, bytes(body))
    status, result = state.progress(session)
    return _answer(status, session, result)


async def _drop(request: Request) -> None:
    """Reset the connection now: the client sees ECONNRESET, no answer."""
    dropped = drop_connection(request.scope)
    for _ in range(3):  # let uvicorn see the connection go before anything is sent
        await asyncio.sleep(0)
    raise DeliberateDisconnect(
        "upload chunk dropped on purpose" if dropped else "could not find the connection"
    )
