"""Writes to the library that respect where each value came from.

Every write of a book's field goes through `write_fields`, which reads the
field's source first: a locked field is never written, a field the user set is
written only by the user, and every written field records its new source. That
one rule is what keeps a wrong Google match from overwriting a good value; the
matching decides *whether* to apply a volume, this decides *which fields*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.audiobooks.names import name_key, title_key
from flows.audiobooks.tables import (
    BOOK_FIELDS,
    SOURCES,
    audiobook_authors,
    audiobook_book_authors,
    audiobook_books,
    audiobook_field_sources,
    audiobook_series,
)
from flows.common.errors import PermanentError
from flows.common.times import utcnow

# "series" is a name here and a series row in the table; the rest are columns.
_COLUMN_FIELDS = tuple(f for f in BOOK_FIELDS if f != "series")


class LibraryError(PermanentError):
    """A request about the library that cannot be met (no such book, no such field)."""


@dataclass(frozen=True)
class FieldSource:
    source: str
    locked: bool


def field_sources(conn: Connection, book_id: int) -> dict[str, FieldSource]:
    rows = conn.execute(
        select(audiobook_field_sources).where(audiobook_field_sources.c.book_id == book_id)
    ).mappings()
    return {r["field"]: FieldSource(r["source"], bool(r["locked"])) for r in rows}


def writable(current: FieldSource | None, source: str) -> bool:
    """May `source` write a field whose value came from `current`?"""
    if current is None:
        return True
    if current.locked:
        return False
    return not (current.source == "user" and source != "user")


def _named_id(conn: Connection, table: Table, name: str) -> int:
    """The id of the author or series row whose name key is `name`'s, added if new."""
    key = name_key(name)
    found = conn.execute(select(table.c.id).where(table.c.name_key == key)).scalar()
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            return conn.execute(
                insert(table).values(name=name.strip(), name_key=key)
            ).inserted_primary_key[0]
    except IntegrityError:  # another run added it a moment ago
        return conn.execute(select(table.c.id).where(table.c.name_key == key)).scalar_one()


def _series_id(conn: Connection, name: str) -> int:
    return _named_id(conn, audiobook_series, name)


def _author_id(conn: Connection, name: str) -> int:
    return _named_id(conn, audiobook_authors, name)


def _link_authors(conn: Connection, book_id: int, authors: Sequence[str]) -> None:
    conn.execute(audiobook_book_authors.delete().where(audiobook_book_authors.c.book_id == book_id))
    seen: set[int] = set()
    for position, name in enumerate(a for a in authors if a.strip()):
        author_id = _author_id(conn, name)
        if author_id not in seen:
            seen.add(author_id)
            conn.execute(
                insert(audiobook_book_authors).values(
                    book_id=book_id, author_id=author_id, position=position
                )
            )


def _columns(values: Mapping[str, Any], conn: Connection) -> dict[str, Any]:
    """Field values as table columns (the series name becomes its row's id)."""
    columns = {f: v for f, v in values.items() if f in _COLUMN_FIELDS}
    if "series" in values:
        name = values["series"]
        columns["series_id"] = _series_id(conn, name) if name else None
    if "title" in columns:
        columns["title_key"] = title_key(columns["title"])
    for listed in ("authors", "narrators"):
        if listed in columns:
            columns[listed] = [a.strip() for a in columns[listed] or [] if a and a.strip()]
    return columns


def add_book(
    conn: Connection,
    values: Mapping[str, Any],
    *,
    status: str,
    origin: str,
    origin_key: str,
    source: str,
) -> tuple[int, bool]:
    """The book whose origin is `origin_key`: (id, True) when added now, (id, False)
    when it was there already (its fields are left as they are: importing a folder or
    a feed item twice changes nothing).

    Needs `title`; every field given records `source` as where it came from.
    """
    _check(values, source)
    found = conn.execute(
        select(audiobook_books.c.id).where(audiobook_books.c.origin_key == origin_key)
    ).scalar()
    if found is not None:
        return found, False
    row = {"authors": [], "narrators": [], **_columns(values, conn)}
    try:
        with conn.begin_nested():
            book_id = conn.execute(
                insert(audiobook_books).values(
                    **row, status=status, origin=origin, origin_key=origin_key, added_at=utcnow()
                )
            ).inserted_primary_key[0]
    except IntegrityError:
        found = conn.execute(
            select(audiobook_books.c.id).where(audiobook_books.c.origin_key == origin_key)
        ).scalar_one()
        return found, False
    _link_authors(conn, book_id, row["authors"])
    given = [f for f, v in values.items() if v not in (None, "", [])]
    _record_sources(conn, book_id, given, source, current={})
    return book_id, True


def write_fields(
    conn: Connection, book_id: int, values: Mapping[str, Any], source: str
) -> list[str]:
    """Write the fields `source` may write; returns the names of those written.

    A locked field, or one the user set (for any source but the user), is skipped.
    """
    _check(values, source)
    current = field_sources(conn, book_id)
    allowed = {f: v for f, v in values.items() if writable(current.get(f), source)}
    if not allowed:
        return []
    columns = _columns(allowed, conn)
    conn.execute(update(audiobook_books).where(audiobook_books.c.id == book_id).values(**columns))
    if "authors" in allowed:
        _link_authors(conn, book_id, columns["authors"])
    _record_sources(conn, book_id, list(allowed), source, current)
    return sorted(allowed)


def _record_sources(
    conn: Connection,
    book_id: int,
    fields: list[str],
    source: str,
    current: Mapping[str, FieldSource],
) -> None:
    """Record `source` for `fields`; `current` is what the caller read before writing."""
    now = utcnow()
    for name in fields:
        if name in current:
            conn.execute(
                update(audiobook_field_sources)
                .where(
                    (audiobook_field_sources.c.book_id == book_id)
                    & (audiobook_field_sources.c.field == name)
                )
                .values(source=source, updated_at=now)
            )
        else:
            conn.execute(
                insert(audiobook_field_sources).values(
                    book_id=book_id, field=name, source=source, locked=False, updated_at=now
                )
            )


def set_lock(conn: Connection, book_id: int, field: str, locked: bool) -> None:
    """Lock or unlock one field of a book. Locking a field that has no source yet
    records it as the user's (an empty value the user wants kept empty)."""
    if field not in BOOK_FIELDS:
        raise LibraryError(f"no field {field!r}; fields: {', '.join(BOOK_FIELDS)}")
    if (
        conn.execute(select(audiobook_books.c.id).where(audiobook_books.c.id == book_id)).scalar()
        is None
    ):
        raise LibraryError(f"no book with id {book_id}")
    current = field_sources(conn, book_id)
    if field in current:
        conn.execute(
            update(audiobook_field_sources)
            .where(
                (audiobook_field_sources.c.book_id == book_id)
                & (audiobook_field_sources.c.field == field)
            )
            .values(locked=locked, updated_at=utcnow())
        )
    else:
        conn.execute(
            insert(audiobook_field_sources).values(
                book_id=book_id, field=field, source="user", locked=locked, updated_at=utcnow()
            )
        )


def _check(values: Mapping[str, Any], source: str) -> None:
    if source not in SOURCES:
        raise LibraryError(f"unknown source {source!r}")
    unknown = set(values) - set(BOOK_FIELDS)
    if unknown:
        raise LibraryError(f"unknown book fields: {sorted(unknown)}")


def book(conn: Connection, book_id: int) -> dict[str, Any] | None:
    """A book's fields as `write_fields` takes them (the series by name), plus id,
    status, origin and the refresh times."""
    row = (
        conn.execute(
            select(audiobook_books, audiobook_series.c.name.label("series"))
            .select_from(audiobook_books.outerjoin(audiobook_series))
            .where(audiobook_books.c.id == book_id)
        )
        .mappings()
        .one_or_none()
    )
    return dict(row) if row else None
