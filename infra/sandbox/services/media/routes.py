"""The public routes of the fake media hosts: good media, and one path family per failure
the downloader must handle (404, 403, login wall, HTML instead of media, truncated body).

Paths, under ``/media``:
  files/{name}.mp4|.webm|.jpg|.jpeg|.png   media (GET/HEAD, Range)
  pages/{name}.html[?title=...]             HTML page with exactly one video (og:video + <video>)
  gone/...  forbidden/...                   404 / 403
  login/...                                 302 -> accounts/login?next=... (200 form, no media)
  fake/{name}.mp4                           200 text/html without media
  truncated/{name}.mp4                      declares Content-Length, sends half, drops connection
  trickle/{name}.mp4[?every=10]             headers, then one byte every `every` seconds: a host
                                            that never quite times out a read
  silent/...                                takes the request and never answers
  redirect?to=<url>                         302 to any URL (a host that sends you elsewhere)
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from infra.sandbox.core.disconnect import DeliberateDisconnect
from infra.sandbox.services.media.content import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    image_bytes,
    video_bytes,
)

PREFIX = "/media"


def ranged(request: Request, data: bytes, media_type: str) -> Response:
    """200 with the whole body, or 206/416 for a single ``Range: bytes=`` request."""
    total = len(data)
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{hashlib.sha1(data).hexdigest()}"'}
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return Response(data, media_type=media_type, headers=headers)
    first, last = match.groups()
    if first:
        start, end = int(first), int(last) if last else total - 1
    else:
        start, end = max(0, total - int(last)), total - 1
    if start >= total or end < start:
        headers["Content-Range"] = f"bytes */{total}"
        return Response(b"", status_code=416, headers=headers)
    end = min(end, total - 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    return Response(data[start : end + 1], 206, media_type=media_type, headers=headers)


def title_for(name: str) -> str:
    """``my-cat_video`` -> ``My Cat Video``."""
    words = [w for w in re.split(r"[-_\s.]+", name) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or name


def _page(title: str, body: str, head: str = "") -> str:
    esc = html.escape(title, quote=True)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{esc}</title>\n{head}</head>\n<body>\n<h1>{esc}</h1>\n{body}\n</body></html>\n"
    )


class TruncatedResponse(Response):
    """Declares ``Content-Length: declared`` but sends only ``data`` then aborts."""

    def __init__(self, data: bytes, declared: int, media_type: str) -> None:
        super().__init__(b"", media_type=media_type)
        self.partial = data
        self.declared = declared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", self.media_type.encode() if self.media_type else b"video/mp4"),
            (b"content-length", str(self.declared).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if scope["method"] == "HEAD":  # no body expected, so nothing to cut short
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        raise DeliberateDisconnect(f"sent {len(self.partial)} of {self.declared} bytes on purpose")


async def _client_gone(receive: Receive) -> None:
    """Returns when the client hangs up (uvicorn keeps accepting sends after that)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class TricklingResponse(Response):
    """Declares the whole video, then sends it one byte every `every` seconds: each read
    finishes well within any socket timeout, the download never does. It stops when the
    client hangs up, so a test's abandoned downloads do not pile up in the sandbox."""

    def __init__(self, data: bytes, every: float, media_type: str) -> None:
        super().__init__(b"", media_type=media_type)
        self.data = data
        self.every = every

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", (self.media_type or "video/mp4").encode()),
            (b"content-length", str(len(self.data)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        gone = asyncio.ensure_future(_client_gone(receive))
        try:
            for i in range(len(self.data)):
                chunk = self.data[i : i + 1]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.wait({gone}, timeout=self.every)
                if gone.done():
                    raise DeliberateDisconnect(f"client left after {i + 1} trickled bytes")
        finally:
            gone.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class SilentResponse(Response):
    """Takes the request and never answers, until the client gives up."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _client_gone(receive)
        raise DeliberateDisconnect("client gave up on a silent host")


def build_router() -> APIRouter:
    """Media routes; stateless apart from the generated-bytes cache."""
    router = APIRouter()

    @router.api_route("/files/{filename}", methods=["GET", "HEAD"])
    def media_file(filename: str, request: Request) -> Response:
        name, _, ext = filename.rpartition(".")
        ext = ext.lower()
        if name and ext in VIDEO_TYPES:
            return ranged(request, video_bytes(name, ext), VIDEO_TYPES[ext])
        if name and ext in IMAGE_TYPES:
            return ranged(request, image_bytes(name, ext), IMAGE_TYPES[ext][1])
        return HTMLResponse(_page("Not Found", "<p>No such file.</p>"), status_code=404)

    @router.get("/pages/{name}.html")
    async def video_page(name: str, request: Request, title: str | None = None) -> HTMLResponse:
        shown = title if title is not None else title_for(name)
        base = str(request.base_url).rstrip("/")
        video = f"{PREFIX}/files/{quote(name)}.mp4"
        head = (
            f'<meta property="og:title" content="{html.escape(shown, quote=True)}">\n'
            f'<meta property="og:type" content="video.other">\n'
            f'<meta property="og:video" content="{base}{video}">\n'
            f'<meta property="og:video:type" content="video/mp4">\n'
        )
        body = (
            f'<video controls width="64" height="64">\n'
            f'<source src="{video}" type="video/mp4">\n</video>'
        )
        return HTMLResponse(_page(shown, body, head))

    @router.api_route("/gone/{rest:path}", methods=["GET", "HEAD"])
    async def gone(rest: str) -> HTMLResponse:
        return HTMLResponse(_page("404 Not Found", "<p>This content is gone.</p>"), 404)

    @router.api_route("/forbidden/{rest:path}", methods=["GET", "HEAD"])
    async def forbidden(rest: str) -> HTMLResponse:
        return HTMLResponse(_page("403 Forbidden", "<p>You may not see this.</p>"), 403)

    @router.api_route("/login/{rest:path}", methods=["GET", "HEAD"])
    async def login_wall(rest: str, request: Request) -> RedirectResponse:
        target = quote(request.url.path, safe="")
        return RedirectResponse(f"{PREFIX}/accounts/login?next={target}", status_code=302)

    @router.api_route("/accounts/login", methods=["GET", "HEAD"])
    async def login_form(next: str = "/") -> HTMLResponse:
        form = (
            f'<form method="post" action="{PREFIX}/accounts/login">\n'
            f'<input type="hidden" name="next" value="{html.escape(next, quote=True)}">\n'
            '<input name="username"><input name="password" type="password">\n'
            "<button>Log in</button></form>"
        )
        return HTMLResponse(_page("Log in", form))

    @router.api_route("/fake/{rest:path}", methods=["GET", "HEAD"])
    async def fake_media(rest: str) -> HTMLResponse:
        return HTMLResponse(_page("Welcome", "<p>Nothing to play here, just a landing page.</p>"))

    @router.api_route("/truncated/{filename}", methods=["GET", "HEAD"])
    def truncated(filename: str) -> Response:
        name, _, ext = filename.rpartition(".")
        ext = ext.lower() if ext.lower() in VIDEO_TYPES else "mp4"
        data = video_bytes(name or filename, ext)
        return TruncatedResponse(data[: len(data) // 2], len(data), VIDEO_TYPES[ext])

    @router.get("/trickle/{filename}")
    def trickle(filename: str, every: float = 10.0) -> Response:
        name, _, ext = filename.rpartition(".")
        ext = ext.lower() if ext.lower() in VIDEO_TYPES else "mp4"
        return TricklingResponse(video_bytes(name or filename, ext), every, VIDEO_TYPES[ext])

    @router.api_route("/silent/{rest:path}", methods=["GET", "HEAD"])
    async def silent(rest: str) -> Response:
        return SilentResponse()

    @router.api_route("/redirect", methods=["GET", "HEAD"])
    async def redirect(to: str) -> RedirectResponse:
        return RedirectResponse(to, status_code=302)

    return router
