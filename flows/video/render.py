"""The render: one ffmpeg process, one filter graph, from narration, backgrounds, music
and cues to an H.264 + AAC MP4 that streams from its first byte (+faststart).

Why one graph: tools that render frame by frame in Python (moviepy) or chain several
ffmpeg passes (scale, then concat, then subtitles, then mix) decode and encode the video
several times; that is why their renders take many times the video's length. Here every
frame is decoded once, scaled once, has its subtitle drawn by libass and is encoded once,
while the audio (narration, music ducked under it by a sidechain compressor) is mixed in
the same process.

The x264 preset decides the speed: "veryfast" renders a 60 s 1080x1920 short in about
0.4 x its length on two cores (see bench/video.py); tests use "ultrafast" at tiny sizes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel

from flows.common.errors import MachineError, PermanentError, machine_error
from flows.video.assets import IMAGE_SUFFIXES, Assets
from flows.video.probe import FFMPEG, ProbeError, clip_problem, probe, render_problems, tail
from flows.video.subtitles import write_subtitles
from flows.video.voice import Narration

log = logging.getLogger(__name__)

PRESETS = frozenset(
    {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"}
)
CRF = 23  # x264's default quality; YouTube re-encodes anyway
AUDIO_RATE = 48000
MUSIC_VOLUME = 0.3  # the bed under the voice, before ducking
MUSIC_FADE = 1.5  # seconds of fade-out at the end
SUBTITLES_FILE = "subtitles.ass"  # inside the render's own work folder: no path escaping
# Dark colours for the generated background (an empty library), picked by the output name.
PALETTES = (
    ("0x0f2027", "0x203a43", "0x2c5364"),
    ("0x232526", "0x414345", "0x1c1c3c"),
    ("0x141e30", "0x243b55", "0x3a1c71"),
    ("0x1f1c2c", "0x928dab", "0x2b5876"),
)


class RenderError(PermanentError):
    """The render failed or its result failed the checks; the message says which input or
    check, with ffmpeg's own last words."""


class Rendered(BaseModel):
    """A finished, checked render: where it is, how long it lasts, how long it took (wall
    seconds), and the background clips that were skipped, each with its reason."""

    path: Path
    duration: float
    seconds: float
    skipped: list[str]


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def fit_filter(size: tuple[int, int], fps: int) -> str:
    """Cover the frame, no letterboxing: crop the middle of the source to the frame's
    shape first, then scale. Cropping first matters: a landscape clip scaled to cover a
    1080x1920 frame would be scaled to 3413x1920 and then mostly thrown away."""
    w, h = size
    return (
        f"fps={fps},crop=w='min(iw,trunc(ih*{w}/{h}/2)*2)':h='min(ih,trunc(iw*{h}/{w}/2)*2)',"
        f"scale={w}:{h}:flags=bilinear,setsar=1,format=yuv420p"
    )


def ffmpeg_command(
    narration: Path,
    duration: float,
    backgrounds: list[Path],
    music: Path | None,
    subtitles: str | None,
    size: tuple[int, int],
    out: Path,
    *,
    preset: str = "veryfast",
    fps: int = 30,
    crf: int = CRF,
    palette: tuple[str, str, str] = PALETTES[0],
) -> list[str]:
    """The one ffmpeg command of a render (exposed for the benchmark's comparisons).

    Each background gets an equal share of the duration and loops within it
    (`-stream_loop`, stills `-loop 1`), so the number of inputs stays the number of
    backgrounds whatever the length. No backgrounds: a slow gradient, drawn small and
    scaled up (drawing it at full size costs more than the encode).
    `subtitles` is a file name relative to ffmpeg's working directory.
    """
    w, h = size
    args = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    chains: list[str] = []
    share = duration / max(1, len(backgrounds))
    for i, path in enumerate(backgrounds):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            args += ["-loop", "1", "-framerate", str(fps), "-t", f"{share:.3f}", "-i", str(path)]
        else:
            args += ["-stream_loop", "-1", "-t", f"{share:.3f}", "-i", str(path)]
        chains.append(f"[{i}:v]{fit_filter(size, fps)},setpts=PTS-STARTPTS[b{i}]")
    if not backgrounds:
        c0, c1, c2 = palette
        small = f"{_even(w / 5)}x{_even(h / 5)}"
        source = (
            f"gradients=s={small}:r=15:d={duration:.3f}:speed=0.02:"
            f"c0={c0}:c1={c1}:c2={c2}:nb_colors=3"
        )
        args += ["-f", "lavfi", "-i", source]
        chains.append(f"[0:v]scale={w}:{h}:flags=bilinear,fps={fps},format=yuv420p[bg]")
    elif len(backgrounds) == 1:
        chains[-1] = chains[-1].replace("[b0]", "[bg]")
    else:
        joined = "".join(f"[b{i}]" for i in range(len(backgrounds)))
        chains.append(f"{joined}concat=n={len(backgrounds)}:v=1:a=0[bg]")
    video_out = "[bg]"
    if subtitles:
        chains.append(f"[bg]ass=filename={subtitles}[v]")
        video_out = "[v]"

    voice_index = max(1, len(backgrounds))
    args += ["-i", str(narration)]
    to_stereo = f"aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    if music is not None:
        args += ["-stream_loop", "-1", "-i", str(music)]
        fade_at = max(0.0, duration - MUSIC_FADE)
        chains += [
            f"[{voice_index}:a]{to_stereo},asplit=2[voice][key]",
            f"[{voice_index + 1}:a]{to_stereo},volume={MUSIC_VOLUME},"
            f"afade=t=out:st={fade_at:.3f}:d={MUSIC_FADE}[bed]",
            # The voice is the sidechain key: the music drops ~15 dB while it speaks.
            "[bed][key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[duck]",
            "[voice][duck]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[a]",
        ]
    else:
        chains.append(f"[{voice_index}:a]{to_stereo}[a]")

    args += ["-filter_complex", ";".join(chains), "-map", video_out, "-map", "[a]"]
    args += ["-t", f"{duration:.3f}", "-r", str(fps)]
    args += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "160k", "-ar", str(AUDIO_RATE)]
    args += ["-movflags", "+faststart", "-f", "mp4", str(out)]
    return args


def _check_backgrounds(backgrounds: list[Path]) -> tuple[list[Path], list[str]]:
    """The backgrounds that decode, and a reason for each one that does not."""

    def problem(path: Path) -> str | None:
        return clip_problem(path, image=path.suffix.lower() in IMAGE_SUFFIXES)

    with ThreadPoolExecutor(max_workers=min(4, max(1, len(backgrounds)))) as pool:
        problems = list(pool.map(problem, backgrounds))
    usable = [p for p, why in zip(backgrounds, problems, strict=True) if why is None]
    return usable, [why for why in problems if why is not None]


def _music_problem(music: Path) -> str | None:
    """Why the music track cannot be used (None when it can): the video goes on without."""
    try:
        info = probe(music)
    except ProbeError as exc:
        return f"music {exc}"
    if info.first("audio") is None or not (info.duration and info.duration > 0.5):
        return f"music {music}: no audio to loop"
    return None


def render_video(
    narration: Narration,
    assets: Assets,
    size: tuple[int, int],
    out: Path,
    *,
    preset: str = "veryfast",
    fps: int = 30,
    crf: int = CRF,
    timeout: float | None = None,
) -> Rendered:
    """Render `narration` over `assets` at `size` into `out` (replaced atomically, only
    after ffprobe accepts the result).

    A background that does not decode is skipped and named in `skipped`; one that makes
    ffmpeg fail mid-render is skipped too and the render runs again without it; with no
    usable background left the generated one is used, so the job continues. An unreadable
    music track is skipped the same way (the video has the voice only).
    """
    if preset not in PRESETS:
        raise RenderError(f"x264 preset {preset!r} is not one of {sorted(PRESETS)}")
    if not 1 <= fps <= 60:
        raise RenderError(f"fps {fps} not in 1..60")
    if narration.duration <= 0 or not narration.path.is_file():
        raise RenderError(f"narration {narration.path} is missing or empty")
    if shutil.which(FFMPEG) is None:
        raise RenderError("ffmpeg is not installed")
    started = time.monotonic()
    duration = narration.duration
    limit = timeout if timeout is not None else max(120.0, 10 * duration)
    backgrounds, skipped = _check_backgrounds(list(assets.backgrounds))
    music = assets.music
    if music is not None:
        problem = _music_problem(music)
        if problem:
            skipped.append(problem)
            music = None
    for reason in skipped:
        log.warning("skipped: %s", reason)
    palette = PALETTES[int(hashlib.sha256(out.name.encode()).hexdigest(), 16) % len(PALETTES)]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".render-") as tmp:
            work = Path(tmp)
            write_subtitles(narration.cues, size, work / SUBTITLES_FILE)
            partial = work / "render.mp4"
            while True:
                cmd = ffmpeg_command(
                    narration.path.resolve(),
                    duration,
                    [p.resolve() for p in backgrounds],
                    music.resolve() if music else None,
                    SUBTITLES_FILE,
                    size,
                    partial,
                    preset=preset,
                    fps=fps,
                    crf=crf,
                    palette=palette,
                )
                failed = _run(cmd, work, limit)
                if failed is None:
                    break
                culprit = next((p for p in backgrounds if str(p.resolve()) in failed), None)
                if culprit is None:
                    raise RenderError(f"ffmpeg failed rendering {out.name}: {failed}")
                reason = f"{culprit}: ffmpeg failed on it: {failed[-300:]}"
                log.warning("skipped: %s", reason)
                skipped.append(reason)
                backgrounds = [p for p in backgrounds if p != culprit]
            try:
                info = probe(partial)
            except ProbeError as exc:
                raise RenderError(f"the render of {out.name} is unreadable: {exc}") from exc
            problems = render_problems(info, duration, size)
            if problems:
                raise RenderError(f"the render of {out.name} failed its checks: {problems}")
            os.replace(partial, out)
    except OSError as exc:
        machine = machine_error(exc)
        if machine is None:
            raise
        raise machine from exc
    return Rendered(
        path=out,
        duration=info.duration or duration,
        seconds=time.monotonic() - started,
        skipped=skipped,
    )


DISK_FULL = ("No space left on device", "Disk quota exceeded")


def _run(cmd: list[str], cwd: Path, timeout: float) -> str | None:
    """Run ffmpeg; None when it succeeded, else the tail of its stderr."""
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"ffmpeg took over {timeout:.0f} s: {tail(exc.stderr or b'')}") from exc
    # ffmpeg reports a full disk on its trailer and still exits 0 ("Error writing trailer
    # of ...: No space left on device"): the host is at fault, not the render's inputs.
    said = (done.stderr or b"").decode(errors="replace")
    for line in said.splitlines():
        if any(words in line for words in DISK_FULL):
            raise MachineError(f"the disk under {cwd.parent} is full: ffmpeg: {line.strip()}")
    if done.returncode == 0:
        return None
    return tail(done.stderr, 1500) or f"exit {done.returncode}"
