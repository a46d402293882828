"""A feed's items as RSS 2.0, Atom 1.0 or JSON Feed 1.1.

The catalogue's own fields (series, position, ISBN, rank) have no element in any of the
three formats, so they travel as extension elements in the namespace ``NS`` (prefix
``cat``) in RSS and Atom, and as the ``_catalogue`` extension object in JSON Feed, which
is how the formats say to extend them. A download link that is a magnet link is the item's
link in RSS; a ``.torrent`` URL is also an enclosure of type
``application/x-bittorrent``. Atom has it as an enclosure link, JSON Feed as an attachment.

A body depends on the items and the feed's last change only (no "generated at" time), so
the same feed renders the same bytes and its ETag stays honest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from infra.sandbox.core.clock import parse_iso_ms
from infra.sandbox.services.catalogue.specs import ItemSpec

NS = "https://catalogue.example/ns/1.0"
TORRENT_TYPE = "application/x-bittorrent"
FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def _moment(value: str | None, fallback_ms: int) -> datetime:
    ms = parse_iso_ms(value) if value else fallback_ms
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _position(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _extensions(item: ItemSpec) -> list[tuple[str, str]]:
    found = [
        ("series", item.series),
        ("position", _position(item.position) if item.position is not None else None),
        ("isbn", item.isbn),
        ("rank", str(item.rank) if item.rank is not None else None),
    ]
    return [(name, value) for name, value in found if value is not None]


def _element(name: str, value: str, attrs: str = "") -> str:
    return f"<{name}{attrs}>{escape(value)}</{name}>"


def rss(title: str, self_url: str, items: Sequence[ItemSpec], modified_ms: int) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cat="{NS}">',
        "<channel>",
        _element("title", title),
        _element("link", self_url),
        _element("description", "Audiobooks as the catalogue lists them"),
        _element("lastBuildDate", format_datetime(_moment(None, modified_ms), usegmt=True)),
    ]
    for item in items:
        lines.append("<item>")
        if item.id is not None:
            lines.append(_element("guid", item.id, ' isPermaLink="false"'))
        if item.title is not None:
            lines.append(_element("title", item.title))
        if item.link is not None:
            lines.append(_element("link", item.link))
            if not item.link.startswith("magnet:"):
                lines.append(
                    f"<enclosure url={quoteattr(item.link)} type={quoteattr(TORRENT_TYPE)} "
                    'length="0"/>'
                )
        lines += [_element("dc:creator", name) for name in item.authors]
        if item.language:
            lines.append(_element("dc:language", item.language))
        if item.genre:
            lines.append(_element("category", item.genre))
        if item.published:
            stamp = format_datetime(_moment(item.published, modified_ms), usegmt=True)
            lines.append(_element("pubDate", stamp))
        if item.description:
            lines.append(_element("description", item.description))
        lines += [_element(f"cat:{name}", value) for name, value in _extensions(item)]
        lines.append("</item>")
    lines += ["</channel>", "</rss>"]
    return "\n".join(lines) + "\n"


def atom(title: str, self_url: str, items: Sequence[ItemSpec], modified_ms: int) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cat="{NS}">',
        _element("title", title),
        _element("id", self_url),
        f'<link rel="self" href={quoteattr(self_url)}/>',
        _element("updated", _iso(_moment(None, modified_ms))),
    ]
    for item in items:
        lines.append("<entry>")
        if item.id is not None:
            lines.append(_element("id", item.id))
        if item.title is not None:
            lines.append(_element("title", item.title))
        if item.link is not None:
            lines.append(
                f'<link rel="enclosure" href={quoteattr(item.link)} '
                f"type={quoteattr(TORRENT_TYPE)}/>"
            )
        lines += [f"<author>{_element('name', name)}</author>" for name in item.authors]
        if item.published:
            stamp = _iso(_moment(item.published, modified_ms))
            lines += [_element("published", stamp), _element("updated", stamp)]
        if item.genre:
            lines.append(f"<category term={quoteattr(item.genre)}/>")
        if item.language:
            lines.append(_element("cat:language", item.language))
        if item.description:
            lines.append(_element("summary", item.description))
        lines += [_element(f"cat:{name}", value) for name, value in _extensions(item)]
        lines.append("</entry>")
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def json_feed(title: str, self_url: str, items: Sequence[ItemSpec], modified_ms: int) -> str:
    entries = []
    for item in items:
        entry: dict = {}
        if item.id is not None:
            entry["id"] = item.id
        if item.title is not None:
            entry["title"] = item.title
        if item.link is not None:
            entry["attachments"] = [{"url": item.link, "mime_type": TORRENT_TYPE}]
        if item.authors:
            entry["authors"] = [{"name": name} for name in item.authors]
        if item.language:
            entry["language"] = item.language
        if item.genre:
            entry["tags"] = [item.genre]
        if item.published:
            entry["date_published"] = _iso(_moment(item.published, modified_ms))
        if item.description:
            entry["content_text"] = item.description
        extension = dict(_extensions(item))
        if item.position is not None:
            extension["position"] = item.position
        if item.rank is not None:
            extension["rank"] = item.rank
        if extension:
            entry["_catalogue"] = extension
        entries.append(entry)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "feed_url": self_url,
        "items": entries,
    }
    return json.dumps(feed, indent=1, ensure_ascii=False) + "\n"


RENDERERS = {"rss": rss, "atom": atom, "json": json_feed}
