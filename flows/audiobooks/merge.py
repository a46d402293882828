"""A Google Books volume as the book's field values, written through the library's
source-respecting writes.

Only fields whose value differs are written (a refresh that learns nothing writes
nothing but the times), and `library.write_fields` skips locked fields and those the
user set. `metadata_checked_at` says Google was asked, whatever it answered;
`metadata_refreshed_at` that a volume was merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from flows.audiobooks.isbn import isbn10, isbn13
from flows.audiobooks.library import write_fields
from flows.audiobooks.matching import identifiers
from flows.audiobooks.tables import audiobook_books, audiobook_series
from flows.common.times import utcnow

_COVERS = ("extraLarge", "large", "medium", "small", "thumbnail", "smallThumbnail")
_IN_CLAUSE = 500


def volume_values(volume: Mapping[str, Any]) -> dict[str, Any]:
    """The book fields a volume gives (empty ones left out)."""
    info = volume.get("volumeInfo") or {}
    values: dict[str, Any] = {
        "title": (info.get("title") or "").strip() or None,
        "authors": [a.strip() for a in info.get("authors") or [] if a and a.strip()] or None,
        "publisher": (info.get("publisher") or "").strip() or None,
        "published_date": (info.get("publishedDate") or "").strip()[:10] or None,
        "description": (info.get("description") or "").strip() or None,
        "language": (info.get("language") or "").strip()[:16] or None,
        "google_volume_id": (volume.get("id") or "")[:32] or None,
    }
    isbns, _ = identifiers(volume)
    if isbns:
        first = sorted(isbns, key=lambda i: not i.startswith("978"))[0]
        values["isbn_13"] = isbn13(first)
        values["isbn_10"] = isbn10(first)
    links = info.get("imageLinks") or {}
    cover = next((links[k] for k in _COVERS if links.get(k)), None)
    if cover:
        values["cover_url"] = cover.replace("http://", "https://", 1)
    return {k: v for k, v in values.items() if v is not None}


def changed(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from the book's current ones."""
    return {f: v for f, v in values.items() if current.get(f) != v}


def apply_values(
    conn: Connection,
    book: Mapping[str, Any],
    values: Mapping[str, Any],
    now: datetime | None = None,
) -> list[str]:
    """Merge `values` into `book` (a row with the current field values); returns the
    fields written. Stamps both refresh times."""
    moment = now or utcnow()
    diff = changed(book, values)
    written = write_fields(conn, book["id"], diff, "google") if diff else []
    conn.execute(
        update(audiobook_books)
        .where(audiobook_books.c.id == book["id"])
        .values(metadata_refreshed_at=moment, metadata_checked_at=moment)
    )
    return written


def stamp(
    conn: Connection, book_ids: Iterable[int], *, refreshed: bool, now: datetime | None = None
) -> None:
    """Set the refresh times of many books at once (no field changes)."""
    moment = now or utcnow()
    ids = list(book_ids)
    values: dict[str, Any] = {"metadata_checked_at": moment}
    if refreshed:
        values["metadata_refreshed_at"] = moment
    for start in range(0, len(ids), _IN_CLAUSE):
        conn.execute(
            update(audiobook_books)
            .where(audiobook_books.c.id.in_(ids[start : start + _IN_CLAUSE]))
            .values(**values)
        )


def book_rows(conn: Connection, book_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Books' field values, as `volume_values` names them, by id, in bulk."""
    ids = list(book_ids)
    found: dict[int, dict[str, Any]] = {}
    query = select(audiobook_books, audiobook_series.c.name.label("series")).select_from(
        audiobook_books.outerjoin(audiobook_series)
    )
    for start in range(0, len(ids), _IN_CLAUSE):
        rows = conn.execute(
            query.where(audiobook_books.c.id.in_(ids[start : start + _IN_CLAUSE]))
        ).mappings()
        found.update({r["id"]: dict(r) for r in rows})
    return found
