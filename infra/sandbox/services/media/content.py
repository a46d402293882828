"""The bytes of the fake media files: deterministic, so tests can compare downloads.

Videos are real 1 s clips made with ffmpeg when it is installed (yt-dlp and players accept
them), else bytes with the right magic number; images are drawn with Pillow. Both depend
only on the file name and are made once per process.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from PIL import Image, ImageDraw

VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
IMAGE_TYPES = {
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
}
_cache: dict[tuple[str, str], bytes] = {}
_cache_lock = threading.Lock()
log = logging.getLogger(__name__)


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
            image.save(buffer, format=IMAGE_TYPES[ext][0])
            _cache[key] = buffer.getvalue()
        return _cache[key]
