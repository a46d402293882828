"""ffprobe: what a media file holds, and the checks a render or a clip must pass.

A render is accepted only after ffprobe reads it back (a truncated or stream-less file
must not reach the upload), and a background clip is used only after it decodes (a
corrupt clip is skipped and named rather than failing the whole render late).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pydantic import BaseModel

from flows.common.errors import PermanentError

FFPROBE = "ffprobe"
FFMPEG = "ffmpeg"
PROBE_TIMEOUT = 30.0
DURATION_TOLERANCE = 0.05  # a render within 5 % of its narration's length


class ProbeError(PermanentError):
    """ffprobe cannot read a file; the message names it."""


class Stream(BaseModel):
    kind: str  # "video" | "audio" | ...
    codec: str
    width: int | None = None
    height: int | None = None


class MediaInfo(BaseModel):
    path: Path
    duration: float | None
    streams: list[Stream]
    format_name: str = ""

    def first(self, kind: str) -> Stream | None:
        return next((s for s in self.streams if s.kind == kind), None)


def tail(stderr: bytes | str, chars: int = 600) -> str:
    """The end of a tool's stderr, where the reason is, for an error message."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    return text.strip()[-chars:]


def probe(path: Path, *, timeout: float = PROBE_TIMEOUT) -> MediaInfo:
    """The streams and duration ffprobe finds in `path`, or `ProbeError` naming it."""
    args = [FFPROBE, "-v", "error", "-show_streams", "-show_format", "-of", "json"]
    try:
        done = subprocess.run(
            [*args, "-i", str(path)], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(f"ffprobe took over {timeout:.0f} s on {path}") from exc
    if done.returncode != 0:
        raise ProbeError(f"ffprobe cannot read {path}: {tail(done.stderr)}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise ProbeError(f"ffprobe gave no JSON for {path}") from exc
    streams = [
        Stream(
            kind=s.get("codec_type", ""),
            codec=s.get("codec_name", ""),
            width=s.get("width"),
            height=s.get("height"),
        )
        for s in data.get("streams", [])
    ]
    fmt = data.get("format", {})
    raw = fmt.get("duration")
    try:
        duration = float(raw) if raw not in (None, "N/A") else None
    except ValueError:
        duration = None
    return MediaInfo(
        path=path, duration=duration, streams=streams, format_name=fmt.get("format_name", "")
    )


def clip_problem(path: Path, *, image: bool = False, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why `path` cannot be a background (None when it can): unreadable, no picture, or
    its first frame does not decode. Cheap: one ffprobe and one single-frame decode."""
    try:
        info = probe(path, timeout=timeout)
    except ProbeError as exc:
        return str(exc)
    video = info.first("video")
    if video is None:
        return f"{path}: no video stream"
    if not video.width or not video.height:
        return f"{path}: video stream has no size"
    if not image and not (info.duration and info.duration > 0.1):
        return f"{path}: no duration"
    args = [FFMPEG, "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-frames:v", "1"]
    try:
        done = subprocess.run(
            [*args, "-f", "null", "-"], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return f"{path}: decoding one frame took over {timeout:.0f} s"
    if done.returncode != 0:
        return f"{path}: does not decode: {tail(done.stderr, 300)}"
    return None


def render_problems(
    info: MediaInfo, expected_duration: float, size: tuple[int, int] | None = None
) -> list[str]:
    """What is wrong with a finished render: missing H.264 video or AAC audio, the wrong
    size, or a duration more than 5 % off the narration's."""
    problems: list[str] = []
    video, audio = info.first("video"), info.first("audio")
    if video is None:
        problems.append("no video stream")
    elif video.codec != "h264":
        problems.append(f"video is {video.codec}, not h264")
    elif size is not None and (video.width, video.height) != tuple(size):
        problems.append(f"video is {video.width}x{video.height}, not {size[0]}x{size[1]}")
    if audio is None:
        problems.append("no audio stream")
    elif audio.codec != "aac":
        problems.append(f"audio is {audio.codec}, not aac")
    if info.duration is None:
        problems.append("no duration")
    elif abs(info.duration - expected_duration) > DURATION_TOLERANCE * expected_duration:
        problems.append(
            f"lasts {info.duration:.2f} s, narration {expected_duration:.2f} s (over 5 % apart)"
        )
    return problems
