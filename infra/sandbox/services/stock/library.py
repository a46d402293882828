"""The demo's stock asset library, made on this host: a few small clips (ffmpeg's own
test sources), a still (Pillow) and a music track (a synthesised arpeggio).

Nothing is downloaded and nothing large is kept in the repo; the files are small (360x640,
a few seconds) because the render scales and loops them. Generating them takes about a
second, so a process makes them once and each seed copies them.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

CLIP_SIZE = "360x640"
CLIP_SECONDS = 3
_SHAPE = f"s={CLIP_SIZE}:r=30"
# name in the library -> ffmpeg lavfi source
CLIPS = {
    "nature/ocean-waves.mp4": f"gradients={_SHAPE}:d={CLIP_SECONDS}:speed=0.05:nb_colors=4",
    "space/galaxy-stars.mp4": f"testsrc2={_SHAPE}:d={CLIP_SECONDS}",
    "science/cells-growing.mp4": f"cellauto={_SHAPE}:rule=110,trim=duration={CLIP_SECONDS}",
}
IMAGE = "nature/mountain-sunrise.jpg"
MUSIC = "music/calm-arpeggio.m4a"
MUSIC_SOURCE = (
    "aevalsrc='0.25*sin(2*PI*t*(220*pow(2,floor(mod(t*2,4))*4/12)))*exp(-4*mod(t,0.5))':s=44100:d=8"
)
TIMEOUT = 60


def _ffmpeg(args: list[str], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)]
    done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"making {target.name}: {done.stderr.decode(errors='replace')[-400:]}")


def _image(target: Path) -> None:
    """A sunrise: a vertical gradient with a sun and a mountain range."""
    w, h = 720, 1280
    image = Image.new("RGB", (w, h))
    image.putdata(
        [
            (255 - y * 150 // h, 120 + y * 60 // h, 60 + y * 150 // h)
            for y in range(h)
            for _ in range(w)
        ]
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((w // 2 - 120, h // 2 - 220, w // 2 + 120, h // 2 + 20), fill=(255, 220, 120))
    draw.polygon(
        [(0, h), (0, 800), (220, 560), (420, 760), (560, 620), (w, 820), (w, h)], fill=(40, 50, 70)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, "JPEG", quality=85)


@functools.cache
def _made() -> Path:
    """The files, made once per process in a temp folder."""
    root = Path(tempfile.mkdtemp(prefix="sandbox-stock-cache-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    jobs = [(["-f", "lavfi", "-i", source, *codec], root / name) for name, source in CLIPS.items()]
    jobs.append((["-f", "lavfi", "-i", MUSIC_SOURCE, "-c:a", "aac", "-b:a", "96k"], root / MUSIC))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: _ffmpeg(*job), jobs))
    _image(root / IMAGE)
    return root


def build(target: Path) -> Path:
    """The demo library at `target` (a fresh folder); returns it."""
    shutil.copytree(_made(), target)
    return target
