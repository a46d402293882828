"""The review list: volumes that may be a book but were not sure enough to write.

A candidate is stored with the field values it would merge, so applying it later
needs no request. A re-run proposes a (book, volume) pair once: an open, applied or
rejected item is left as it is, so a rejection sticks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from flows.audiobooks.library import LibraryError, book
from flows.audiobooks.matching import Decision
from flows.audiobooks.merge import apply_values, volume_values
from flows.audiobooks.tables import audiobook_books, audiobook_reviews
from flows.common.times import as_utc, utcnow


def propose(
    conn: Connection, book_id: int, decision: Decision, now: datetime | None = None
) -> bool:
    """Put the decision's volume on the review list; False when the pair was there."""
    assert decision.volume is not None and decision.volume_id
    table = audiobook_reviews.c
    exists = conn.execute(
        select(table.book_id).where(
            (table.book_id == book_id) & (table.volume_id == decision.volume_id)
        )
    ).first()
    if exists:
        return False
    conn.execute(
        insert(audiobook_reviews).values(
            book_id=book_id,
            volume_id=decision.volume_id[:32],
            score=round(decision.score, 1),
            reason=decision.reason[:2000],
            candidate=volume_values(decision.volume),
            created_at=now or utcnow(),
        )
    )
    return True


def open_reviews(engine: Engine) -> list[dict[str, Any]]:
    """Open items, oldest first: book_id, title, authors, volume_id, score, reason,
    candidate (the field values it would write), created_at."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                audiobook_reviews.c.book_id,
                audiobook_books.c.title,
                audiobook_books.c.authors,
                audiobook_reviews.c.volume_id,
                audiobook_reviews.c.score,
                audiobook_reviews.c.reason,
                audiobook_reviews.c.candidate,
                audiobook_reviews.c.created_at,
            )
            .join(audiobook_books, audiobook_books.c.id == audiobook_reviews.c.book_id)
            .where(audiobook_reviews.c.resolution.is_(None))
            .order_by(audiobook_reviews.c.created_at, audiobook_reviews.c.book_id)
        ).mappings()
        return [{**r, "created_at": as_utc(r["created_at"])} for r in rows]


def _open_item(conn: Connection, book_id: int, volume_id: str) -> dict[str, Any]:
    table = audiobook_reviews.c
    row = (
        conn.execute(
            select(audiobook_reviews).where(
                (table.book_id == book_id) & (table.volume_id == volume_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise LibraryError(f"no review item for book {book_id} and volume {volume_id!r}")
    if row["resolution"] is not None:
        raise LibraryError(
            f"review item for book {book_id} and volume {volume_id!r}: already {row['resolution']}"
        )
    return dict(row)


def _resolve(conn: Connection, book_id: int, volume_id: str, resolution: str) -> None:
    conn.execute(
        update(audiobook_reviews)
        .where(
            (audiobook_reviews.c.book_id == book_id) & (audiobook_reviews.c.volume_id == volume_id)
        )
        .values(resolution=resolution, resolved_at=utcnow())
    )


def apply_review(engine: Engine, book_id: int, volume_id: str) -> list[str]:
    """Merge the stored candidate (source "google": locked and user-set fields are kept);
    returns the fields written. Raises LibraryError when there is no such open item."""
    with engine.begin() as conn:
        item = _open_item(conn, book_id, volume_id)
        current = book(conn, book_id)
        if current is None:
            raise LibraryError(f"no book with id {book_id}")
        written = apply_values(conn, current, item["candidate"])
        _resolve(conn, book_id, volume_id, "applied")
        return written


def reject_review(engine: Engine, book_id: int, volume_id: str) -> None:
    """Mark the item rejected (a later run does not propose it again)."""
    with engine.begin() as conn:
        _open_item(conn, book_id, volume_id)
        _resolve(conn, book_id, volume_id, "rejected")
