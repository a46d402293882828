"""The demo's stock library: a seeded folder of real media that the asset picker reads
and ffmpeg decodes, gone again on reset."""

from __future__ import annotations

from pathlib import Path

import httpx

from flows.video.assets import pick_assets
from flows.video.probe import clip_problem, probe
from infra.sandbox.core.client import Sandbox


def test_demo_seed_makes_a_library_of_decodable_clips_a_still_and_music(sb: Sandbox) -> None:
    seeded = sb.seed("demo")
    library = Path(seeded["env"]["VIDEO_ASSETS_DIR"])
    assert seeded["stock"]["root"] == str(library)

    listing = httpx.get(f"{sb.stock.base_url}/").json()
    assert listing["root"] == str(library)
    files = [library / name for name in listing["files"]]
    clips = [f for f in files if f.suffix == ".mp4"]
    assert len(clips) >= 3
    assert any(f.suffix == ".jpg" for f in files) and any(f.suffix == ".m4a" for f in files)
    for clip in clips:
        assert clip_problem(clip) is None, clip
    music = next(f for f in files if f.suffix == ".m4a")
    info = probe(music)
    assert info.first("audio") is not None and (info.duration or 0) > 3

    picked = pick_assets(library, ["ocean waves at dusk"], ["nature"], seed="job-1")
    assert picked.backgrounds[0].name == "ocean-waves.mp4"
    assert picked.music == music and not picked.generated

    sb.reset()
    assert not library.exists(), "a reset removes the demo's folder"
    assert httpx.get(f"{sb.stock.base_url}/").json() == {"root": None, "files": []}
