"""Listings in the app database: stored once per (feed, item key) however often a feed
repeats them, and tied to the library's books by normalised title and author.

A listing's `book_id` says which book it is a copy of; only listings tied to a wanted
book are ever handed to the download client (series completion does that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.audiobooks.feed_parse import FeedItem
from flows.audiobooks.names import name_key, title_key
from flows.audiobooks.tables import audiobook_books, audiobook_feed_items
from flows.common.times import utcnow

LISTINGS = "listings"


def top10_feed(genre: str) -> str:
    """The feed name a genre's top-10 list is stored under."""
    return f"top10:{genre}"


@dataclass(frozen=True)
class StoredItem:
    id: int
    item: FeedItem
    new: bool
    book_id: int | None


def store_items(conn: Connection, feed: str, items: Sequence[FeedItem]) -> list[StoredItem]:
    """Store each item unless the feed had it already; a listing seen again is left as
    first stored (its row is the record of when it first appeared)."""
    stored = []
    for item in items:
        found = conn.execute(
            select(audiobook_feed_items.c.id, audiobook_feed_items.c.book_id).where(
                (audiobook_feed_items.c.feed == feed)
                & (audiobook_feed_items.c.item_key == item.key)
            )
        ).one_or_none()
        if found is not None:
            stored.append(StoredItem(found.id, item, False, found.book_id))
            continue
        try:
            with conn.begin_nested():
                row_id = conn.execute(
                    insert(audiobook_feed_items).values(
                        feed=feed,
                        item_key=item.key,
                        title=item.title,
                        authors=list(item.authors),
                        series=item.series,
                        series_position=item.series_position,
                        language=item.language[:16] if item.language else None,
                        isbn=item.isbn,
                        link=item.link,
                        genre=item.genre[:64] if item.genre else None,
                        rank=item.rank,
                        published_at=item.published_at,
                        first_seen_at=utcnow(),
                    )
                ).inserted_primary_key[0]
        except IntegrityError:  # another run stored it a moment ago
            row = conn.execute(
                select(audiobook_feed_items.c.id, audiobook_feed_items.c.book_id).where(
                    (audiobook_feed_items.c.feed == feed)
                    & (audiobook_feed_items.c.item_key == item.key)
                )
            ).one()
            stored.append(StoredItem(row.id, item, False, row.book_id))
            continue
        stored.append(StoredItem(row_id, item, True, None))
    return stored


def authors_agree(wanted: Iterable[str], have: Iterable[str]) -> bool:
    """An author in common; a side that names no author cannot disagree."""
    wanted_keys = {name_key(a) for a in wanted if a}
    have_keys = {name_key(a) for a in have if a}
    return not wanted_keys or not have_keys or bool(wanted_keys & have_keys)


def find_book(
    conn: Connection, title: str, authors: Sequence[str], status: str | None = None
) -> tuple[int, str] | None:
    """(id, status) of the library's book with this title (normalised) and an author in
    common, owned ones first; None when the library has no such book."""
    query = select(audiobook_books.c.id, audiobook_books.c.authors, audiobook_books.c.status).where(
        audiobook_books.c.title_key == title_key(title)
    )
    if status is not None:
        query = query.where(audiobook_books.c.status == status)
    rows = conn.execute(query.order_by(audiobook_books.c.id)).all()
    matches = [r for r in rows if authors_agree(authors, r.authors or [])]
    matches.sort(key=lambda r: r.status != "owned")
    return (matches[0].id, matches[0].status) if matches else None


def set_book(conn: Connection, item_id: int, book_id: int) -> None:
    conn.execute(
        update(audiobook_feed_items)
        .where(audiobook_feed_items.c.id == item_id)
        .values(book_id=book_id)
    )


def link_wanted(conn: Connection) -> int:
    """Tie every listing not tied to a book yet to the wanted book it is a copy of
    (same normalised title, an author in common); returns how many were tied."""
    rows = conn.execute(
        select(
            audiobook_feed_items.c.id, audiobook_feed_items.c.title, audiobook_feed_items.c.authors
        ).where(audiobook_feed_items.c.book_id.is_(None))
    ).all()
    if not rows:
        return 0
    wanted: dict[str, list] = {}
    for book in conn.execute(
        select(audiobook_books.c.id, audiobook_books.c.title_key, audiobook_books.c.authors)
        .where(audiobook_books.c.status == "wanted")
        .order_by(audiobook_books.c.id)
    ):
        wanted.setdefault(book.title_key, []).append(book)
    tied = 0
    for row in rows:
        for book in wanted.get(title_key(row.title), []):
            if authors_agree(row.authors or [], book.authors or []):
                set_book(conn, row.id, book.id)
                tied += 1
                break
    return tied
