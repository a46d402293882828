"""Small real media files for the video tests, made with ffmpeg in a test's tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path


def ffmpeg(*args: str) -> None:
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def make_clip(path: Path, size: str = "160x90", seconds: float = 1.0) -> Path:
    """A test-pattern clip (landscape by default, so a portrait render must crop it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = f"testsrc2=s={size}:r=30:d={seconds}"
    ffmpeg("-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast", str(path))
    return path


def make_music(path: Path, seconds: float = 2.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "aac", str(path))
    return path


def make_corrupt(path: Path) -> Path:
    """A file named like a clip whose content is not one (a download cut short)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + b"\xde\xad" * 2000)
    return path


def frame(video: Path, at: float) -> bytes:
    """One frame as raw RGB24 bytes."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i", str(video)]
    args += ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    return subprocess.run(args, check=True, capture_output=True, timeout=60).stdout


def speech_onsets(media: Path, noise_db: int = -40, min_silence: float = 0.15) -> list[float]:
    """Where sound starts after each silence in `media`'s audio, by ffmpeg's silencedetect:
    what a viewer hears, measured on the file itself."""
    args = ["ffmpeg", "-nostdin", "-v", "info", "-i", str(media), "-map", "0:a"]
    args += ["-af", f"silencedetect=n={noise_db}dB:d={min_silence}", "-f", "null", "-"]
    done = subprocess.run(args, check=True, capture_output=True, timeout=60, text=True)
    return [
        float(line.split("silence_end:")[1].split("|")[0])
        for line in done.stderr.splitlines()
        if "silence_end:" in line
    ]
