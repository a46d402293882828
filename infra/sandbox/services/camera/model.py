"""The camera portal's model: streams on a frame grid, what each frame serves, the portal.

Frames are named by their capture time in epoch seconds, on a grid of ``interval`` seconds.
A frame's content only depends on its stream, its time and its kind, so a frame can be made
on demand and fetched again with the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from infra.sandbox.core.clock import Clock, parse_iso_ms

PREFIX = "/camera"
Kind = Literal["ok", "truncated", "html", "empty", "missing", "frozen"]
JPEG_QUALITY = 85
_SESSION_ERROR_PAGE = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Session error</title></head>\n'
    b"<body><h1>Session error</h1><p>Your session is no longer valid. Please log in again.</p>"
    b"</body></html>\n"
)


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


def iso_seconds(epoch: int) -> str:
    """``2025-11-26T23:00:00Z``: the portal's own timestamp format."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- streams and portal ----------------------------------------------------------------------


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
    clock: Clock
    sessions: set[str] = field(default_factory=set)
    expire_after: int | None = None
    logins: int = 0
    failed_logins: int = 0

    def now(self) -> int:
        """Epoch seconds on the portal's clock: fixed for tests, the wall clock for a demo."""
        return self.clock.now()

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
