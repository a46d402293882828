"""The thumbnail YouTube takes: 1280x720 JPEG under 2 MB, the title readable on a frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from flows.video.thumbnail import MAX_BYTES, ThumbnailError, make_thumbnail
from tests.video.mediafiles import make_clip, make_corrupt


def white_share(image: Image.Image) -> float:
    pixels = list(image.convert("L").getdata())
    return sum(p > 235 for p in pixels) / len(pixels)


def test_a_frame_of_a_portrait_video_with_the_title_over_it(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "v.mp4", size="180x320", seconds=1)
    plain = make_thumbnail("", video, tmp_path / "plain.jpg")
    titled = make_thumbnail(
        "Why octopuses have three hearts {\\an8} and blue blood", video, tmp_path / "thumb.jpg"
    )
    assert titled == tmp_path / "thumb.jpg"
    assert titled.stat().st_size < MAX_BYTES
    with Image.open(titled) as image:
        assert image.format == "JPEG" and image.size == (1280, 720)
        lower = image.crop((0, 360, 1280, 720))
        with Image.open(plain) as without:
            assert white_share(lower) > white_share(without.crop((0, 360, 1280, 720))) + 0.03


def test_a_still_image_works_as_the_source(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (300, 500), (30, 60, 90)).save(still)
    with Image.open(make_thumbnail("A title", still, tmp_path / "t.jpg")) as image:
        assert image.size == (1280, 720)


def test_a_source_with_no_frame_is_named(tmp_path: Path) -> None:
    broken = make_corrupt(tmp_path / "broken.mp4")
    with pytest.raises(ThumbnailError, match=r"broken\.mp4"):
        make_thumbnail("Title", broken, tmp_path / "t.jpg")
    assert not (tmp_path / "t.jpg").exists()
