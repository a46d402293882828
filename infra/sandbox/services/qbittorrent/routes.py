"""The public side of the fake qBittorrent: the subset of its Web API v2 a product uses to
hand over downloads, answering as qBittorrent 4.6 does.

  POST /qbittorrent/api/v2/auth/login     form username, password -> "Ok." + SID cookie,
                                          "Fails.", or 403 once the caller is banned
  POST /qbittorrent/api/v2/auth/logout
  GET  /qbittorrent/api/v2/app/version    "v4.6.7"
  GET  /qbittorrent/api/v2/app/webapiVersion
  POST /qbittorrent/api/v2/torrents/add   form or multipart: urls (one per line), category,
                                          tags (comma separated), savepath -> "Ok." / "Fails."
  GET  /qbittorrent/api/v2/torrents/info  ?category= &tag= &hashes=a|b -> JSON list
Every route but login answers 403 "Forbidden" without a valid SID cookie.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from infra.sandbox.services.qbittorrent.forms import parse_form
from infra.sandbox.services.qbittorrent.state import QbittorrentState

VERSION = "v4.6.7"
WEBAPI_VERSION = "2.9.3"
BANNED = "Your IP address has been banned after too many failed authentication attempts."


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status)


def build_router(state: QbittorrentState) -> APIRouter:
    router = APIRouter(prefix="/api/v2")

    def session_ok(request: Request) -> bool:
        return state.valid(request.cookies.get("SID"))

    @router.post("/auth/login")
    async def login(request: Request) -> Response:
        if state.banned:
            return _text(BANNED, 403)
        form = parse_form(request.headers.get("content-type"), await request.body())
        sid = state.login(form.get("username", ""), form.get("password", ""))
        if sid is None:
            return _text("Fails.")
        response = _text("Ok.")
        response.set_cookie("SID", sid, path="/", httponly=True, samesite="strict")
        return response

    @router.post("/auth/logout")
    async def logout(request: Request) -> Response:
        state.logout(request.cookies.get("SID"))
        return _text("")

    @router.get("/app/version")
    async def version(request: Request) -> Response:
        return _text(VERSION) if session_ok(request) else _text("Forbidden", 403)

    @router.get("/app/webapiVersion")
    async def webapi_version(request: Request) -> Response:
        return _text(WEBAPI_VERSION) if session_ok(request) else _text("Forbidden", 403)

    @router.post("/torrents/add")
    async def add(request: Request) -> Response:
        if not session_ok(request):
            return _text("Forbidden", 403)
        form = parse_form(request.headers.get("content-type"), await request.body())
        urls = [u.strip() for u in form.get("urls", "").splitlines() if u.strip()]
        tags = [t.strip() for t in form.get("tags", "").split(",") if t.strip()]
        taken = state.add(urls, form.get("category", ""), tags, form.get("savepath", ""))
        return _text("Ok." if taken else "Fails.")

    @router.get("/torrents/info")
    async def info(
        request: Request,
        category: str | None = None,
        tag: str | None = None,
        hashes: str | None = None,
    ) -> Response:
        if not session_ok(request):
            return _text("Forbidden", 403)
        wanted = set(hashes.lower().split("|")) if hashes and hashes != "all" else None
        found: list[dict[str, Any]] = state.listed(category, tag, wanted)
        return JSONResponse(found)

    return router
