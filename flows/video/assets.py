"""Backgrounds and music from a local asset library, picked by the script's search terms
and the request's tags.

The library is a folder of this host (the `video-assets` LocalFileSystem block): clips,
images and music in any sub-folders, described by their folder and file names
("ocean/waves-at-dusk.mp4"). Search terms only select among files that exist: no path is
ever built from the LLM's text. The pick is deterministic for a seed (the job key), so a
re-run of a job renders the same video, and two jobs on one topic still differ.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import BaseModel

CLIP_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
MUSIC_SUFFIXES = frozenset({".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wav", ".flac"})
MAX_BACKGROUNDS = 4  # enough variety for a short; each is one ffmpeg input
MAX_FILES = 10_000  # a library is a folder of stock footage, not a disk to crawl

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what a clip shows.
_STOP = frozenset(
    "a an and the of in on at to for with by from is are be or as it its this that".split()  # noqa: SIM905
)


class Assets(BaseModel):
    """What a render uses: background clips or images (in order), a music track, and
    whether the background is to be generated (an empty library)."""

    backgrounds: list[Path]
    music: Path | None
    generated: bool


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def _stem_words(words: set[str]) -> set[str]:
    """Words and their plain singulars, so "waves" finds "wave"."""
    return words | {w[:-1] for w in words if len(w) > 3 and w.endswith("s")}


def _rank(seed: str, path: Path) -> str:
    """A tiebreak that is stable for a seed and differs between seeds."""
    return hashlib.sha256(f"{seed}\0{path.as_posix()}".encode()).hexdigest()


def _files(library: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(library.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(library).parts):
            continue  # hidden files and our own temp files
        if path.is_file():
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return found


def pick_assets(library: Path | None, terms: list[str], tags: list[str], seed: str) -> Assets:
    """The backgrounds whose names share the most words with the search terms and tags
    (ties broken by the seed), and one music track the same way.

    An empty or missing library gives `generated=True` and no music: the render makes a
    background itself, so a fresh install still produces a video.
    """
    if library is None or not library.is_dir():
        return Assets(backgrounds=[], music=None, generated=True)
    wanted = _stem_words(set().union(*(_words(t) for t in [*terms, *tags])))
    visuals: list[Path] = []
    music: list[Path] = []
    for path in _files(library):
        suffix = path.suffix.lower()
        if suffix in MUSIC_SUFFIXES:
            music.append(path)
        elif suffix in CLIP_SUFFIXES | IMAGE_SUFFIXES:
            visuals.append(path)

    def score(path: Path) -> tuple[int, int, str]:
        words = _stem_words(_words(path.relative_to(library).with_suffix("").as_posix()))
        is_clip = path.suffix.lower() in CLIP_SUFFIXES  # moving pictures before stills
        return (-len(words & wanted), -int(is_clip), _rank(seed, path))

    backgrounds = sorted(visuals, key=score)[:MAX_BACKGROUNDS]
    track = min(music, key=score) if music else None
    return Assets(backgrounds=backgrounds, music=track, generated=not backgrounds)
