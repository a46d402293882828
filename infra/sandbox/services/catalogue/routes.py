"""The public side of the fake audiobook catalogue: its feeds, as a polite client meets them.

  GET /catalogue/listings[.rss|.atom|.json]        new listings (?format= works too)
  GET /catalogue/top10/{genre}[.rss|.atom|.json]   a genre's top-10 list (404 for no list)

Each answer carries a strong ``ETag`` (a hash of the body) and ``Last-Modified`` (the
feed's last change); ``If-None-Match`` (which wins when both are sent) or
``If-Modified-Since`` answer 304 with no body when nothing changed. When credentials are
set, a request without them is 401, as a private catalogue answers.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from infra.sandbox.core.clock import Clock, iso_ms
from infra.sandbox.services.catalogue.render import FORMATS, RENDERERS
from infra.sandbox.services.catalogue.state import CatalogueState

_TITLES = {"listings": "Audiobook catalogue: new listings"}


def _split_format(name: str, query_format: str | None) -> tuple[str, str | None]:
    """ "fantasy.json" -> ("fantasy", "json"); the query's ?format= wins over no suffix."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in FORMATS:
        return stem, suffix
    return name, query_format


def _authorized(state: CatalogueState, header: str | None) -> bool:
    auth = state.auth
    if auth.token is not None:
        expected = f"Bearer {auth.token}"
        return header is not None and secrets.compare_digest(header, expected)
    if auth.username is not None:
        if not header or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            return False
        return secrets.compare_digest(given, f"{auth.username}:{auth.password}")
    return True


def _not_modified(request: Request, etag: str, modified_s: int) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return modified_s <= int(moment.timestamp())
    return False


def build_router(state: CatalogueState, clock: Clock) -> APIRouter:
    router = APIRouter()

    def serve(request: Request, feed_name: str, fmt: str | None, title: str) -> Response:
        entry = {
            "at": iso_ms(clock.now_ms()),
            "path": request.url.path,
            "query": request.url.query,
            "user_agent": request.headers.get("user-agent"),
            "if_none_match": request.headers.get("if-none-match"),
            "if_modified_since": request.headers.get("if-modified-since"),
            "auth": (request.headers.get("authorization") or " ").split(" ", 1)[0].lower() or None,
        }

        def answer(response: Response) -> Response:
            state.record({**entry, "status": response.status_code})
            return response

        if not _authorized(state, request.headers.get("authorization")):
            scheme = "Bearer" if state.auth.token is not None else 'Basic realm="catalogue"'
            return answer(
                PlainTextResponse("401 Unauthorized", 401, headers={"WWW-Authenticate": scheme})
            )
        fmt = fmt or "rss"
        if fmt not in FORMATS:
            return answer(PlainTextResponse(f"unknown format {fmt!r}: rss, atom or json", 400))
        snapshot = state.snapshot(feed_name)
        if snapshot is None:
            return answer(PlainTextResponse(f"no feed {feed_name!r}", 404))
        items, modified_s, raw = snapshot
        if raw is not None:
            body, content_type = raw
        else:
            self_url = str(request.url)
            body = RENDERERS[fmt](title, self_url, items, modified_s * 1000)
            content_type = FORMATS[fmt]
        data = body.encode("utf-8")
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        last_modified = format_datetime(datetime.fromtimestamp(modified_s, tz=UTC), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}
        if _not_modified(request, etag, modified_s):
            return answer(Response(status_code=304, headers=headers))
        return answer(Response(data, 200, headers=headers, media_type=content_type))

    @router.get("/listings")
    async def listings(request: Request, format: str | None = None) -> Response:
        return serve(request, "listings", format, _TITLES["listings"])

    @router.get("/listings.{fmt}")
    async def listings_as(request: Request, fmt: str) -> Response:
        return serve(request, "listings", fmt, _TITLES["listings"])

    @router.get("/top10/{genre}")
    async def top10(request: Request, genre: str, format: str | None = None) -> Response:
        genre, fmt = _split_format(genre, format)
        return serve(request, f"top10/{genre}", fmt, f"Audiobook catalogue: top 10 {genre}")

    return router
