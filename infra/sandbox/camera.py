"""Fake IP-camera web portal under ``/camera``, scraped by the camera image flow.

The real portal is only usable through a browser session: every page and image needs the
``portal_session`` cookie, and the frame list is rendered by JavaScript, so a plain HTTP
scraper sees no links. The product logs in with Playwright, reads the links from the DOM and
downloads the images with httpx using the browser's cookies; this fake keeps all of that true.
Everything the product has to survive is configurable per frame (truncated JPEGs, an HTML
page at a ``.jpg`` URL, empty bodies, gaps, a frozen camera repeating its last picture) and
the portal clock can be fixed, so tests know exactly which frames exist.

Public routes:
  GET  /camera/login?next=/camera/...          login form
  POST /camera/login                           form username, password, next -> 303 + cookie
  GET  /camera/                                index linking every stream page
  GET  /camera/streams/{stream}                frame list, rendered client-side
  GET  /camera/images/{stream}/{frame_id}.jpg  one frame; ``frame_id`` = capture epoch seconds
Without a valid session, all but the login answer 302 to ``/camera/login?next=<path>``.
The control side (``/_sandbox/camera/...``) lives in ``infra.sandbox.control``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import json
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image, ImageDraw, ImageFont
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from infra.sandbox.state import SandboxState, parse_iso_ms

PREFIX = "/camera"
SESSION_COOKIE = "portal_session"
Kind = Literal["ok", "truncated", "html", "empty", "missing", "frozen"]
DEFAULT_IMAGE_SIZE = (320, 240)
JPEG_QUALITY = 85
_STREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: One spelling per frame (no leading zeros), as a real portal would only link that one.
_FRAME_FILE = re.compile(r"0|[1-9][0-9]{0,11}")
_SESSION_ERROR_PAGE = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Session error</title></head>\n'
    b"<body><h1>Session error</h1><p>Your session is no longer valid. Please log in again.</p>"
    b"</body></html>\n"
)
ImageSide = Annotated[int, Field(ge=8, le=4096)]


# --- time ------------------------------------------------------------------------------------


def parse_time_ms(value: str) -> int:
    """Epoch ms from ISO 8601 (``Z``/offset; naive = UTC) or an epoch-seconds string."""
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return int(text) * 1000
    try:
        return parse_iso_ms(text)
    except ValueError:
        raise ValueError(f"bad time {value!r}: expected ISO 8601 or epoch seconds") from None


def parse_time(value: str, *, round_up: bool = False) -> int:
    """Epoch seconds, floored (``now``: a frame at 10 s exists at 10.7 s) or rounded up
    (``frozen_from``: frame >= ceil(t) is exactly frame >= t for whole-second frames)."""
    ms = parse_time_ms(value)
    return -(-ms // 1000) if round_up else ms // 1000


def parse_frame_time(value: str) -> int:
    """Epoch seconds of a frame; a sub-second part would name no frame, so it is refused."""
    ms = parse_time_ms(value)
    if ms % 1000:
        raise ValueError(f"bad frame time {value!r}: frames are whole seconds")
    return ms // 1000


def _valid_time(value: str) -> str:
    parse_time(value)
    return value


#: A time in a control body, checked on the way in so a typo is a 400, not a silent miss.
TimeText = Annotated[str, AfterValidator(_valid_time)]


def iso_seconds(epoch: int) -> str:
    """``2025-11-26T23:00:00Z``: the portal's own timestamp format."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- control-API input -----------------------------------------------------------------------


class StreamSpec(BaseModel):
    """One stream of ``POST /_sandbox/camera/portal``."""

    model_config = ConfigDict(extra="forbid")

    interval_seconds: int = Field(default=600, ge=1)
    window: int = Field(default=12, ge=1, le=10_000, description="newest frames listed")
    kinds: dict[str, Kind] = Field(
        default_factory=dict, description="ISO time or epoch seconds -> kind"
    )
    frozen_from: TimeText | None = Field(
        default=None, description="frames at or after this time are frozen unless in kinds"
    )

    @field_validator("kinds")
    @classmethod
    def _kind_times(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            parse_frame_time(key)
        return value

    @model_validator(mode="after")
    def _kinds_on_frames(self) -> StreamSpec:
        # A kind at a time that is no frame would never apply: surely a typo in the test.
        for key in self.kinds:
            if parse_frame_time(key) % self.interval_seconds:
                raise ValueError(
                    f"kinds time {key!r} is not a multiple of interval_seconds "
                    f"({self.interval_seconds}), so it is no frame"
                )
        return self


class PortalSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/portal``."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    streams: dict[str, StreamSpec]
    now: TimeText | None = Field(default=None, description="fixed portal clock; null = wall clock")
    image_size: tuple[ImageSide, ImageSide] = DEFAULT_IMAGE_SIZE

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, value: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        for name in value:
            if not _STREAM_NAME.fullmatch(name):
                raise ValueError(
                    f"stream name {name!r} must be 1-64 of A-Z a-z 0-9 _ . - (it is a URL part)"
                )
        return value


class ClockSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/clock``."""

    model_config = ConfigDict(extra="forbid")

    now: TimeText | None


class ExpireSpec(BaseModel):
    """Body of ``POST /_sandbox/camera/expire``."""

    model_config = ConfigDict(extra="forbid")

    after_requests: int = Field(ge=0)


# --- model -----------------------------------------------------------------------------------


@dataclass
class CameraStream:
    """A stream's frame grid (multiples of ``interval``) and the kind of each frame."""

    name: str
    interval: int
    window: int
    kinds: dict[int, str]
    frozen_from: int | None

    def exists(self, frame_id: int, now: int) -> bool:
        """Frames sit on the interval grid and are never in the portal's future."""
        return 0 <= frame_id <= now and frame_id % self.interval == 0

    def listed(self, now: int) -> list[int]:
        """The ``window`` newest frames, newest first (what the stream page shows)."""
        if now < 0:
            return []
        newest = now - now % self.interval
        return [t for t in (newest - i * self.interval for i in range(self.window)) if t >= 0]

    def kind_of(self, frame_id: int) -> str:
        """Explicit ``kinds`` win; then ``frozen_from``; everything else is a good image."""
        kind = self.kinds.get(frame_id)
        if kind is not None:
            return kind
        if self.frozen_from is not None and frame_id >= self.frozen_from:
            return "frozen"
        return "ok"

    def source_of(self, frame_id: int) -> tuple[int, str]:
        """The frame whose response a frame serves, and that frame's kind.

        A frozen frame repeats the frame one interval earlier, recursively. Instead of
        stepping one interval at a time (a live clock and an old ``frozen_from`` would mean
        thousands of steps), a run of implicitly frozen frames is skipped in one jump to the
        next point where the kind can change: an explicit ``kinds`` entry or the frame just
        before ``frozen_from``. A frozen frame with nothing before it shows its own picture.
        """
        current = frame_id
        while True:
            kind = self.kind_of(current)
            if kind != "frozen":
                return current, kind
            earlier = current - self.interval
            if earlier < 0:
                return current, "ok"
            if (
                earlier not in self.kinds
                and self.frozen_from is not None
                and earlier >= self.frozen_from
            ):
                before_frozen = (self.frozen_from - 1) // self.interval * self.interval
                explicit = [t for t in self.kinds if t < earlier]
                earlier = max([before_frozen, *explicit])
                if earlier < 0:  # frozen since frame 0, which has nothing to repeat
                    return 0, "ok"
            current = earlier


@dataclass
class CameraPortal:
    """The one portal of the sandbox; counters and sessions die with it on replacement."""

    username: str
    password: str
    streams: dict[str, CameraStream]
    image_size: tuple[int, int]
    fixed_now: int | None
    sessions: set[str] = field(default_factory=set)
    expire_after: int | None = None
    logins: int = 0
    failed_logins: int = 0

    def now(self) -> int:
        """The fixed clock if set, else the wall clock (so a live demo keeps moving)."""
        return self.fixed_now if self.fixed_now is not None else int(time.time())

    def expire_sessions_after(self, requests: int) -> None:
        """Arm the one-shot expiry; 0 drops every session right away."""
        if requests == 0:
            self.sessions.clear()
            self.expire_after = None
        else:
            self.expire_after = requests

    def count_success(self) -> None:
        """One more authenticated success; fires the armed expiry when it is used up."""
        if self.expire_after is None:
            return
        self.expire_after -= 1
        if self.expire_after <= 0:
            self.sessions.clear()
            self.expire_after = None


def build_portal(spec: PortalSpec) -> CameraPortal:
    """Turn a validated spec into the stored model (times parsed to epoch seconds)."""
    streams = {
        name: CameraStream(
            name=name,
            interval=s.interval_seconds,
            window=s.window,
            kinds={parse_frame_time(k): v for k, v in s.kinds.items()},
            frozen_from=(
                parse_time(s.frozen_from, round_up=True) if s.frozen_from is not None else None
            ),
        )
        for name, s in spec.streams.items()
    }
    return CameraPortal(
        username=spec.username,
        password=spec.password,
        streams=streams,
        image_size=(spec.image_size[0], spec.image_size[1]),
        fixed_now=parse_time(spec.now) if spec.now is not None else None,
    )


# --- frame content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FramePlan:
    """Everything needed to render a frame, taken under the lock so rendering is lock-free."""

    stream: str
    frame_id: int
    kind: str
    source_id: int
    source_kind: str
    image_size: tuple[int, int]


@dataclass(frozen=True)
class ServedFrame:
    """What the image route answers; ``body`` is None for a missing frame."""

    status: int
    media_type: str
    body: bytes | None


@functools.cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    # load_default() decodes an embedded font; once per process, not once per frame.
    return ImageFont.load_default()


@functools.lru_cache(maxsize=2048)
def frame_jpeg(stream: str, frame_id: int, width: int, height: int) -> bytes:
    """A real JPEG that only depends on its arguments, cheap enough to make on demand.

    Colour blobs come from a 16x12 noise tile seeded by (stream, frame_id) and upscaled, so
    consecutive frames always differ; the stream and capture time are drawn in for humans
    looking at downloaded files. Cached because the same frame is fetched repeatedly
    (listing digests, retries, frozen runs); ~15 kB each, so the cache stays in tens of MB.
    """
    seed = hashlib.sha256(f"{stream}/{frame_id}".encode()).digest()
    noise = random.Random(seed).randbytes(16 * 12 * 3)
    tile = Image.frombytes("RGB", (16, 12), noise)
    image = tile.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 16), fill=(0, 0, 0))
    draw.text((4, 2), f"{stream} {iso_seconds(frame_id)}", fill=(255, 255, 255), font=_font())
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def render(plan: FramePlan) -> ServedFrame:
    """The response of a frame: its source frame's content, per the source's kind."""
    kind = plan.source_kind
    if kind == "missing":
        return ServedFrame(404, "text/html", None)
    if kind == "html":
        return ServedFrame(200, "text/html", _SESSION_ERROR_PAGE)
    if kind == "empty":
        return ServedFrame(200, "image/jpeg", b"")
    data = frame_jpeg(plan.stream, plan.source_id, *plan.image_size)
    if kind == "truncated":
        data = data[: len(data) // 2]
    return ServedFrame(200, "image/jpeg", data)


def image_url(stream: str, frame_id: int) -> str:
    """Relative URL of a frame, as the stream page lists it."""
    return f"{PREFIX}/images/{quote(stream, safe='')}/{frame_id}.jpg"


def listed_frames(state: SandboxState, stream: str) -> list[dict[str, Any]] | None:
    """Frames the stream page lists now, with digests of what each serves (control API).

    None when there is no portal or no such stream.
    """
    with state.lock:
        portal = state.camera
        if portal is None or stream not in portal.streams:
            return None
        entry = portal.streams[stream]
        plans = [
            FramePlan(stream, t, entry.kind_of(t), *entry.source_of(t), portal.image_size)
            for t in entry.listed(portal.now())
        ]
    frames = []
    for plan in plans:
        served = render(plan)
        body = served.body
        frames.append(
            {
                "captured_at": iso_seconds(plan.frame_id),
                "frame_id": plan.frame_id,
                "url": image_url(stream, plan.frame_id),
                "kind": plan.kind,
                "sha256": hashlib.sha256(body).hexdigest() if body is not None else None,
                "bytes": len(body) if body is not None else 0,
            }
        )
    return frames


def install_portal(state: SandboxState, spec: PortalSpec) -> CameraPortal:
    """Create or replace the portal; old sessions and counters go with the old one."""
    portal = build_portal(spec)
    with state.lock:
        state.camera = portal
    return portal


def configure_portal(state: SandboxState, spec: PortalSpec) -> dict[str, Any]:
    """``install_portal`` plus every stream's current listing, for the control API."""
    portal = install_portal(state, spec)
    listings = {name: listed_frames(state, name) or [] for name in portal.streams}
    return {"streams": listings}


# --- HTML ------------------------------------------------------------------------------------

_FRAME_SCRIPT = """(function () {
  var frames = JSON.parse(document.getElementById("frame-data").textContent);
  var list = document.getElementById("frames");
  frames.forEach(function (frame) {
    var link = document.createElement("a");
    link.className = "frame";
    link.setAttribute("href", frame.url);
    link.setAttribute("data-captured-at", frame.captured_at);
    link.textContent = frame.captured_at;
    var item = document.createElement("li");
    item.appendChild(link);
    list.appendChild(item);
  });
})();"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Camera portal</title></head>\n<body>{body}</body></html>\n"
    )


def _login_page(next_path: str, error: bool) -> str:
    message = '<p class="error">Invalid user name or password</p>\n' if error else ""
    form = (
        f"<h1>Camera portal</h1>\n{message}"
        f'<form method="post" action="{PREFIX}/login">\n'
        '<label>User name <input name="username" autocomplete="username"></label>\n'
        '<label>Password <input name="password" type="password"></label>\n'
        f'<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">\n'
        '<button type="submit">Log in</button>\n</form>'
    )
    return _page("Log in", form)


def stream_page(stream: str, frames: list[int]) -> str:
    """The list is embedded as JSON and built by script, so only a browser sees links."""
    data = [{"url": image_url(stream, t), "captured_at": iso_seconds(t)} for t in frames]
    embedded = json.dumps(data).replace("</", "<\\/")
    name = html.escape(stream)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{name} - Camera portal</title></head>\n"
        f'<body><h1>{name}</h1><ul id="frames"></ul>\n'
        f'<script id="frame-data" type="application/json">{embedded}</script>\n'
        f"<script>{_FRAME_SCRIPT}</script>\n</body></html>\n"
    )


def _not_found(what: str) -> HTMLResponse:
    return HTMLResponse(_page("Not found", f"<h1>Not found</h1><p>{html.escape(what)}</p>"), 404)


def _no_portal() -> HTMLResponse:
    return _not_found("No camera portal is configured (POST /_sandbox/camera/portal).")


def _to_login(request: Request) -> RedirectResponse:
    query = urlencode({"next": request.url.path})
    return RedirectResponse(f"{PREFIX}/login?{query}", status_code=302)


def _safe_next(value: str) -> str:
    """Only portal paths: an open redirect would not exist on the real portal either."""
    if value.startswith(PREFIX + "/") and value.isprintable() and "\\" not in value:
        return value
    return PREFIX + "/"


# --- router ----------------------------------------------------------------------------------


def build_router(state: SandboxState) -> APIRouter:
    """Portal routes; all state lives in ``state.camera``."""
    router = APIRouter(prefix=PREFIX)

    def signed_in(request: Request) -> CameraPortal | Response:
        """The portal when the request carries a live session, else the answer to send
        instead (no portal, or off to the login page). Called with ``state.lock`` held."""
        portal = state.camera
        if portal is None:
            return _no_portal()
        if request.cookies.get(SESSION_COOKIE) not in portal.sessions:
            return _to_login(request)
        return portal

    @router.get("/login")
    async def login_form(next: str = PREFIX + "/") -> HTMLResponse:
        if state.camera is None:
            return _no_portal()
        return HTMLResponse(_login_page(next, error=False))

    @router.post("/login")
    async def login(request: Request) -> Response:
        fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)

        def field_value(name: str) -> str:
            return fields.get(name, [""])[0]

        next_path = field_value("next")
        token: str | None = None
        with state.lock:
            portal = state.camera
            if portal is None:
                return _no_portal()
            user_ok = secrets.compare_digest(
                field_value("username").encode(), portal.username.encode()
            )
            password_ok = secrets.compare_digest(
                field_value("password").encode(), portal.password.encode()
            )
            if user_ok and password_ok:
                token = secrets.token_urlsafe(24)
                portal.sessions.add(token)
                portal.logins += 1
            else:
                portal.failed_logins += 1
        if token is None:
            return HTMLResponse(_login_page(next_path or PREFIX + "/", error=True))
        response = RedirectResponse(_safe_next(next_path), status_code=303)
        response.headers.append(
            "set-cookie", f"{SESSION_COOKIE}={token}; Path={PREFIX}; HttpOnly; SameSite=Lax"
        )
        return response

    @router.get("/")
    async def index(request: Request) -> Response:
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            names = sorted(portal.streams)
        items = "".join(
            f'<li><a href="{PREFIX}/streams/{quote(n, safe="")}">{html.escape(n)}</a></li>'
            for n in names
        )
        return HTMLResponse(_page("Streams", f'<h1>Streams</h1><ul id="streams">{items}</ul>'))

    @router.get("/streams/{stream}")
    async def stream(stream: str, request: Request) -> Response:
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            entry = portal.streams.get(stream)
            if entry is None:
                return _not_found(f"No stream {stream!r}.")
            frames = entry.listed(portal.now())
            portal.count_success()
        return HTMLResponse(stream_page(stream, frames))

    @router.get("/images/{stream}/{frame_id}.jpg")
    def image(stream: str, frame_id: str, request: Request) -> Response:
        # Sync on purpose: JPEG generation runs in the threadpool, not on the event loop.
        with state.lock:
            portal = signed_in(request)
            if isinstance(portal, Response):
                return portal
            entry = portal.streams.get(stream)
            moment = int(frame_id) if _FRAME_FILE.fullmatch(frame_id) else None
            if entry is None or moment is None or not entry.exists(moment, portal.now()):
                return _not_found(f"No frame {frame_id!r} in stream {stream!r}.")
            plan = FramePlan(
                stream, moment, entry.kind_of(moment), *entry.source_of(moment), portal.image_size
            )
            if plan.source_kind != "missing":
                portal.count_success()
        served = render(plan)
        if served.body is None:
            return _not_found(f"Frame {frame_id} of {stream!r} was not recorded.")
        return Response(served.body, status_code=served.status, media_type=served.media_type)

    return router


def stats(state: SandboxState) -> dict[str, int] | None:
    """Login counters and live sessions, or None without a portal."""
    with state.lock:
        portal = state.camera
        if portal is None:
            return None
        return {
            "logins": portal.logins,
            "failed_logins": portal.failed_logins,
            "sessions": len(portal.sessions),
        }


def set_clock(state: SandboxState, spec: ClockSpec) -> dict[str, str | None] | None:
    """Move the portal clock; None without a portal."""
    with state.lock:
        portal = state.camera
        if portal is None:
            return None
        portal.fixed_now = parse_time(spec.now) if spec.now is not None else None
        return {"now": iso_seconds(portal.fixed_now) if portal.fixed_now is not None else None}


def expire(state: SandboxState, spec: ExpireSpec) -> dict[str, int] | None:
    """Arm the session-expiry fault; None without a portal."""
    with state.lock:
        portal = state.camera
        if portal is None:
            return None
        portal.expire_sessions_after(spec.after_requests)
        return {"after_requests": spec.after_requests, "sessions": len(portal.sessions)}
