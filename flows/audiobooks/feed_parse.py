"""A catalogue feed's body as listings: RSS 2.0 and Atom through feedparser, JSON Feed
through json, every item checked on its own.

A feed is outside input: a body that is no feed at all fails the whole fetch with an
error naming the feed (its URL without credentials); an item without a title is
rejected by itself, named by its guid or link, and the others go on. Nothing here
follows a link: the download link of an item is only ever handed to the download
client.

The catalogue's own fields (series, position, ISBN, rank) are extension elements in
RSS and Atom (feedparser keeps them as `<prefix>_series`..., whatever prefix the feed
binds their namespace to) and the `_catalogue` object in JSON Feed.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from flows.audiobooks.isbn import isbn13
from flows.audiobooks.names import name_key, title_key
from flows.common.errors import PermanentError
from flows.common.times import parse_instant
from flows.common.urls import shown_url

KEY_LIMIT = 512  # audiobook_feed_items.item_key
_JSON_FEED = "https://jsonfeed.org/version/"


class NotAFeed(PermanentError):
    """The body is neither RSS, Atom nor JSON Feed."""


@dataclass(frozen=True)
class FeedItem:
    """One listing as the library stores it."""

    key: str  # guid, else the item's link (page or download), else title + first author
    title: str
    authors: tuple[str, ...] = ()
    series: str | None = None
    series_position: float | None = None
    language: str | None = None
    isbn: str | None = None  # ISBN-13, checked
    link: str | None = None  # magnet link or torrent URL, for the download client only
    genre: str | None = None
    rank: int | None = None
    published_at: datetime | None = None

    @property
    def title_key(self) -> str:
        return title_key(self.title)

    @property
    def author_keys(self) -> frozenset[str]:
        return frozenset(name_key(a) for a in self.authors)


@dataclass
class ParsedFeed:
    items: list[FeedItem] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (item, why)


class RejectedItem(ValueError):
    """An item the library cannot take; the message says why."""


def download_link(value: str | None) -> str | None:
    """A link a download client may be handed: a magnet link, or an http(s) URL."""
    text = (value or "").strip()
    if text.lower().startswith("magnet:?"):
        return text
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return text
    return None


def item_key(guid: str | None, link: str | None, title: str, authors: Iterable[str]) -> str:
    """What makes two sightings of a listing the same one, across runs."""
    first = next(iter(authors), "")
    key = (guid or "").strip() or (link or "").strip()
    if not key:
        key = f"title:{title_key(title)}|{name_key(first)}"
    if len(key) > KEY_LIMIT:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _position(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _rank(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def _label(guid: str | None, link: str | None, index: int) -> str:
    return f"item {guid or link or f'#{index + 1}'}"[:300]


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """The items of a feed body, and the items rejected with why.

    Raises NotAFeed naming the feed when the body is neither RSS, Atom nor JSON Feed.
    """
    stripped = body.lstrip()
    looks_json = stripped[:1] in (b"{", b"[") or "json" in (content_type or "").lower()
    if looks_json:
        return _parse_json(body, url)
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        why = f" ({type(reason).__name__})" if reason else ""
        kind = (content_type or "no content type").split(";")[0]
        raise NotAFeed(
            f"catalogue feed {shown_url(url)}: the answer ({kind}, {len(body)} bytes) is "
            f"neither RSS, Atom nor JSON Feed{why}"
        )
    found = ParsedFeed()
    for index, entry in enumerate(parsed.entries):
        guid = _text(entry.get("id"))
        link = _entry_link(entry)
        try:
            found.items.append(_from_entry(entry, guid, link))
        except RejectedItem as exc:
            found.rejected.append((_label(guid, link or _text(entry.get("link")), index), str(exc)))
    return found


def _entry_link(entry: Mapping[str, Any]) -> str | None:
    """The download link: an enclosure first (that is what torrent feeds use), else the
    item's link when it is a magnet link or a torrent URL."""
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure":
            found = download_link(link.get("href"))
            if found:
                return found
    main = download_link(entry.get("link"))
    if main and (main.startswith("magnet:") or urlsplit(main).path.endswith(".torrent")):
        return main
    return None


def _extension(entry: Mapping[str, Any], name: str) -> Any:
    for key, value in entry.items():
        prefix, sep, local = key.rpartition("_")
        if sep and local == name and prefix and "_" not in prefix:
            return value
    return None


def _from_entry(entry: Mapping[str, Any], guid: str | None, link: str | None) -> FeedItem:
    title = _text(entry.get("title"))
    if not title:
        raise RejectedItem("the item has no title")
    authors = tuple(
        name for name in (_text(a.get("name")) for a in entry.get("authors", []) or []) if name
    )
    if not authors and _text(entry.get("author")):
        authors = (_text(entry.get("author")),)
    tags = [t.get("term") for t in entry.get("tags", []) or [] if t.get("term")]
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    published = (
        datetime.fromtimestamp(calendar.timegm(moment), tz=UTC) if moment is not None else None
    )
    return FeedItem(
        key=item_key(guid, _text(entry.get("link")) or link, title, authors),
        title=title[:1000],
        authors=authors,
        series=_text(_extension(entry, "series")),
        series_position=_position(_extension(entry, "position")),
        language=(_text(entry.get("language")) or _text(_extension(entry, "language")) or None),
        isbn=isbn13(_text(_extension(entry, "isbn"))),
        link=link,
        genre=_text(tags[0]) if tags else None,
        rank=_rank(_extension(entry, "rank")),
        published_at=published,
    )


def _parse_json(body: bytes, url: str) -> ParsedFeed:
    shown = shown_url(url)
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise NotAFeed(f"catalogue feed {shown}: the answer is not valid JSON ({exc})") from None
    if not (
        isinstance(document, dict)
        and str(document.get("version", "")).startswith(_JSON_FEED)
        and isinstance(document.get("items"), list)
    ):
        raise NotAFeed(
            f"catalogue feed {shown}: the JSON answer is no JSON Feed "
            "(no version https://jsonfeed.org/version/... with a list of items)"
        )
    found = ParsedFeed()
    for index, raw in enumerate(document["items"]):
        if not isinstance(raw, dict):
            found.rejected.append((f"item #{index + 1}", "the item is not a JSON object"))
            continue
        guid = _text(raw.get("id"))
        link = _json_link(raw)
        try:
            found.items.append(_from_json(raw, guid, link))
        except RejectedItem as exc:
            found.rejected.append((_label(guid, link, index), str(exc)))
    return found


def _json_link(raw: Mapping[str, Any]) -> str | None:
    for attachment in raw.get("attachments") or []:
        if isinstance(attachment, dict):
            found = download_link(attachment.get("url"))
            if found:
                return found
    main = download_link(raw.get("url") if isinstance(raw.get("url"), str) else None)
    if main and (main.startswith("magnet:") or urlsplit(main).path.endswith(".torrent")):
        return main
    return None


def _from_json(raw: Mapping[str, Any], guid: str | None, link: str | None) -> FeedItem:
    title = _text(raw.get("title")) if isinstance(raw.get("title"), str) else None
    if not title:
        raise RejectedItem("the item has no title")
    authors = tuple(
        name
        for name in (_text(a.get("name")) for a in raw.get("authors") or [] if isinstance(a, dict))
        if name
    )
    extension = raw.get("_catalogue") if isinstance(raw.get("_catalogue"), dict) else {}
    tags = [t for t in raw.get("tags") or [] if isinstance(t, str) and t.strip()]
    published = None
    if isinstance(raw.get("date_published"), str):
        try:
            published = parse_instant(raw["date_published"])
        except ValueError:
            published = None
    page = _text(raw.get("url")) if isinstance(raw.get("url"), str) else None
    return FeedItem(
        key=item_key(guid, page or link, title, authors),
        title=title[:1000],
        authors=authors,
        series=_text(extension.get("series")),
        series_position=_position(extension.get("position")),
        language=_text(raw.get("language")),
        isbn=isbn13(_text(extension.get("isbn"))),
        link=link,
        genre=_text(tags[0]) if tags else None,
        rank=_rank(extension.get("rank")),
        published_at=published,
    )
