"""The thumbnail: a frame of the video with the title over it, as YouTube takes it
(1280x720 JPEG, at most 2 MB).

The frame is taken before the first subtitle appears (the narration starts after a
short lead-in), so the title is not drawn over a subtitle.
"""

from __future__ import annotations

import functools
import io
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from flows.common.errors import PermanentError, machine_error
from flows.common.paths import atomic_write_bytes
from flows.video.probe import FFMPEG, tail

SIZE = (1280, 720)
MAX_BYTES = 2 * 1024 * 1024  # YouTube's limit for thumbnails.set
FRAME_AT = 0.1  # seconds: before the first cue (voice.LEAD_SECONDS)
TIMEOUT = 60.0
TITLE_MAX = 200  # characters drawn; a title is at most 100 after metadata
FONT_QUERY = "DejaVu Sans:bold"


class ThumbnailError(PermanentError):
    """No frame could be read from the source; the message names the file."""


@functools.cache
def _font_file() -> str | None:
    """A bold scalable font, found by fontconfig rather than a path in the repo."""
    try:
        done = subprocess.run(
            ["fc-match", "-f", "%{file}", FONT_QUERY], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = done.stdout.decode(errors="replace").strip()
    return found if done.returncode == 0 and found and Path(found).is_file() else None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _frame(source: Path) -> Image.Image:
    """The frame at FRAME_AT (or the first, for a still), scaled to cover 1280x720 and
    cropped to it."""
    try:
        return _frame_at(source, FRAME_AT)
    except ThumbnailError:
        return _frame_at(source, None)


def _frame_at(source: Path, at: float | None) -> Image.Image:
    w, h = SIZE
    seek = ["-ss", str(at)] if at is not None else []
    args = [FFMPEG, "-nostdin", "-v", "error", *seek, "-i", str(source)]
    args += ["-frames:v", "1", "-vf", f"scale={w}:{h}:force_original_aspect_ratio=increase,"]
    args[-1] += f"crop={w}:{h},setsar=1"
    args += ["-f", "image2pipe", "-c:v", "png", "-"]
    try:
        done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ThumbnailError(
            f"ffmpeg took over {TIMEOUT:.0f} s reading a frame of {source}"
        ) from exc
    if done.returncode != 0 or not done.stdout:
        raise ThumbnailError(f"no frame in {source}: {tail(done.stderr, 300)}")
    try:
        return Image.open(io.BytesIO(done.stdout)).convert("RGB")
    except UnidentifiedImageError as exc:
        raise ThumbnailError(f"ffmpeg gave no image for {source}") from exc


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _draw_title(image: Image.Image, title: str) -> None:
    """The title, as large as fits in four lines, white with a dark outline, on a
    darkened lower half so it reads over any frame."""
    text = " ".join("".join(c if c.isprintable() else " " for c in title).split())[:TITLE_MAX]
    if not text:
        return
    w, h = image.size
    shade = Image.new("L", (1, h))
    shade.putdata([min(200, max(0, int(255 * (y / h - 0.3) * 1.4))) for y in range(h)])
    dark = Image.new("RGB", image.size, (0, 0, 0))
    image.paste(dark, (0, 0), shade.resize(image.size))
    draw = ImageDraw.Draw(image)
    margin = round(w * 0.05)
    for size in range(104, 27, -6):
        font = _font(size)
        lines = _wrap(draw, text, font, w - 2 * margin)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if len(lines) <= 4 and widest <= w - 2 * margin:
            break
    lines = lines[:4]
    step = round(size * 1.18)
    y = h - margin - step * len(lines)
    stroke = max(2, size // 14)
    for line in lines:
        draw.text(
            (margin, y), line, font=font, fill="white", stroke_width=stroke, stroke_fill="black"
        )
        y += step


def make_thumbnail(title: str, source: Path, out: Path) -> Path:
    """Write `out`: the frame of `source` (a video or an image) with `title` drawn over
    it, 1280x720 JPEG under 2 MB (quality lowered until it fits). Returns `out`."""
    image = _frame(source)
    _draw_title(image, title)
    for quality in (90, 80, 70, 55, 40):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= MAX_BYTES:
            break
    try:
        atomic_write_bytes(out, buffer.getvalue())
    except OSError as exc:
        machine = machine_error(exc)
        if machine is None:
            raise
        raise machine from exc
    return out
