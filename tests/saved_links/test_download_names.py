"""File names built from hostile titles stay inside their folder and short."""

from pathlib import Path

import pytest

from flows.saved_links.download import STEM_MAX_BYTES, media_key, safe_stem


@pytest.mark.parametrize(
    "title",
    [
        "../../etc/passwd",
        "/absolute/path",
        "..",
        "a" * 1000,
        "Ünïcödé 🎬 " * 40,
        "con\x00trol\nchars\t",
        "",
        "%(id)s%(title)s",
    ],
)
def test_safe_stem_cannot_escape_and_is_capped(title, tmp_path):
    stem = safe_stem(title, "generic abc")
    assert "/" not in stem and "\\" not in stem and "\x00" not in stem
    assert not stem.startswith(".")
    assert len(stem.encode()) <= STEM_MAX_BYTES + 11
    target = (tmp_path / f"{stem}.mp4").resolve()
    assert target.parent == tmp_path.resolve()


def test_same_title_different_media_get_different_names():
    assert safe_stem("clip", "generic a") != safe_stem("clip", "generic b")
    assert safe_stem("clip", "generic a") == safe_stem("clip", "generic a")


def test_generic_media_are_keyed_by_url_other_extractors_by_id():
    generic = {"extractor_key": "Generic", "id": "video"}
    assert media_key(generic, "http://a/video.mp4") != media_key(generic, "http://b/video.mp4")
    assert media_key({"extractor_key": "Youtube", "id": "xyz"}, "u") == "youtube xyz"
    assert Path(safe_stem("x", "k")).name == safe_stem("x", "k")
