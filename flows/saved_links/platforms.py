"""Which processor handles a link, decided from its URL alone."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from flows.saved_links.errors import InvalidURL


class Platform(StrEnum):
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"
    X = "x"
    REDDIT = "reddit"
    DIRECT = "direct"
    GENERIC = "generic"


_HOSTS: dict[str, Platform] = {
    "youtube.com": Platform.YOUTUBE,
    "youtu.be": Platform.YOUTUBE,
    "youtube-nocookie.com": Platform.YOUTUBE,
    "tiktok.com": Platform.TIKTOK,
    "instagram.com": Platform.INSTAGRAM,
    "x.com": Platform.X,
    "twitter.com": Platform.X,
    "reddit.com": Platform.REDDIT,
    "redd.it": Platform.REDDIT,
}

MEDIA_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".mp3", ".m4a", ".ogg", ".wav"}
    | {".jpg", ".jpeg", ".png", ".gif", ".webp"}
)


def validate_url(url: str) -> str:
    """The URL stripped, or InvalidURL naming it: only absolute http(s) links are fetched."""
    cleaned = (url or "").strip()
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURL(f"not an http(s) link: {cleaned[:200]!r}")
    return cleaned


def classify(url: str) -> Platform:
    """The platform of a link; subdomains (m., www., old.) count as their parent."""
    parts = urlsplit(validate_url(url))
    host = parts.hostname or ""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        platform = _HOSTS.get(".".join(labels[i:]))
        if platform:
            return platform
    if PurePosixPath(parts.path).suffix.lower() in MEDIA_EXTENSIONS:
        return Platform.DIRECT
    return Platform.GENERIC
