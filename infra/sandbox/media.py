"""Fake media hosts under ``/media`` for the yt-dlp based link downloader.

Everything is deterministic: the bytes of ``/media/files/x.mp4`` depend only on ``x``, so
tests can compare downloads. Besides good media there is one path family per failure the
downloader must handle (404, 403, login wall, HTML instead of media, truncated body).

Paths:
  files/{name}.mp4|.webm|.jpg|.jpeg|.png   media (GET/HEAD, Range)
  pages/{name}.html[?title=...]             HTML page with exactly one video (og:video + <video>)
  gone/...  forbidden/...                   404 / 403
  login/...                                 302 -> accounts/login?next=... (200 form, no media)
  fake/{name}.mp4                           200 text/html without media
  truncated/{name}.mp4                      declares Content-Length, sends half, drops connection
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image, ImageDraw
from starlette.types import Receive, Scope, Send

PREFIX = "/media"
_VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
_IMAGE_TYPES = {
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
}
_cache: dict[tuple[str, str], bytes] = {}
_cache_lock = threading.Lock()
log = logging.getLogger(__name__)


class TruncatedBody(Exception):
    """Raised on purpose after a short body so the server drops the connection."""


class QuietTruncationFilter(logging.Filter):
    """Drop uvicorn's "Exception in ASGI application" record for deliberate truncations."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            if isinstance(exc, TruncatedBody):
                return False
            if isinstance(exc, BaseExceptionGroup) and any(
                isinstance(e, TruncatedBody) for e in exc.exceptions
            ):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


def _seed(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def _fallback_video(name: str, ext: str) -> bytes:
    """Deterministic bytes with the right magic number, for machines without ffmpeg."""
    head = (
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" if ext == "mp4" else b"\x1a\x45\xdf\xa3"
    )
    block = _seed(name)
    return head + (block * (16384 // len(block)))


def _ffmpeg_video(name: str, ext: str) -> bytes | None:
    """A real 1 s 64x64 clip; the hue and a metadata comment depend on ``name``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    hue = _seed(name)[0] * 360 // 256
    codecs = ["libx264", "mpeg4"] if ext == "mp4" else ["libvpx"]
    with tempfile.TemporaryDirectory(prefix="sandbox-media-") as tmp:
        out = Path(tmp) / f"clip.{ext}"
        for codec in codecs:
            cmd = [
                ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1",
                "-vf", f"hue=h={hue}", "-pix_fmt", "yuv420p", "-c:v", codec, "-threads", "1",
                "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                "-metadata", f"comment=sandbox:{name}", str(out),
            ]  # fmt: skip
            try:
                result = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if result.returncode == 0 and out.exists() and out.stat().st_size > 0:
                return out.read_bytes()
            log.warning("ffmpeg %s failed: %s", codec, result.stderr.decode(errors="replace"))
    return None


def video_bytes(name: str, ext: str) -> bytes:
    """Cached per (name, ext); generated once per process."""
    with _cache_lock:
        key = (name, ext)
        if key not in _cache:
            _cache[key] = _ffmpeg_video(name, ext) or _fallback_video(name, ext)
        return _cache[key]


def image_bytes(name: str, ext: str) -> bytes:
    """A 64x64 picture whose colours depend on ``name``."""
    with _cache_lock:
        key = (name, ext)
        if key not in _cache:
            seed = _seed(name)
            image = Image.new("RGB", (64, 64), tuple(seed[0:3]))
            draw = ImageDraw.Draw(image)
            draw.rectangle((8, 8, 40, 40), fill=tuple(seed[3:6]))
            draw.line((0, 63, 63, 0), fill=tuple(seed[6:9]), width=4)
            buffer = io.BytesIO()
            image.save(buffer, format=_IMAGE_TYPES[ext][0])
            _cache[key] = buffer.getvalue()
        return _cache[key]


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
        raise TruncatedBody(f"sent {len(self.partial)} of {self.declared} bytes on purpose")


def build_router() -> APIRouter:
    """Media routes; stateless apart from the generated-bytes cache."""
    router = APIRouter(prefix=PREFIX)

    @router.api_route("/files/{filename}", methods=["GET", "HEAD"])
    def media_file(filename: str, request: Request) -> Response:
        name, _, ext = filename.rpartition(".")
        ext = ext.lower()
        if name and ext in _VIDEO_TYPES:
            return ranged(request, video_bytes(name, ext), _VIDEO_TYPES[ext])
        if name and ext in _IMAGE_TYPES:
            return ranged(request, image_bytes(name, ext), _IMAGE_TYPES[ext][1])
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
        ext = ext.lower() if ext.lower() in _VIDEO_TYPES else "mp4"
        data = video_bytes(name or filename, ext)
        return TruncatedResponse(data[: len(data) // 2], len(data), _VIDEO_TYPES[ext])

    return router
