"""Handing a link to the download client exactly once, across re-runs and crashes.

The order is claim, add, mark: the claim row is committed before the client is asked,
so a run that dies after the add leaves a claim behind. The next run finding a claim
that is not marked asks the client whether the link is there (every link is added
with a tag derived from its key) and adds it only when it is not. A link marked added
is never sent again.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.audiobooks.download_client import HandOffRefused, QBittorrent
from flows.audiobooks.tables import audiobook_handoffs
from flows.common.times import utcnow


class HandOff(StrEnum):
    ADDED = "added"  # sent to the client now
    FOUND = "found"  # a claim left by a crash, and the client had it already
    DONE_BEFORE = "done before"  # an earlier run handed it over


def link_key(link: str) -> str:
    return hashlib.sha256(link.encode()).hexdigest()


def link_tag(link: str) -> str:
    """The client-side tag that finds a link again after a crash."""
    return f"ab-{link_key(link)[:16]}"


def claim(engine: Engine, book_id: int, link: str, client_name: str) -> str | None:
    """Claim the hand-off of `link` (committed at once); None when it was claimed
    before, else the status the earlier claim has ("claimed" or "added")."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(audiobook_handoffs).values(
                    book_id=book_id,
                    link=link,
                    link_key=link_key(link),
                    client=client_name,
                    status="claimed",
                    claimed_at=utcnow(),
                )
            )
        return None
    except IntegrityError:
        with engine.connect() as conn:
            return conn.execute(
                select(audiobook_handoffs.c.status).where(
                    audiobook_handoffs.c.link_key == link_key(link)
                )
            ).scalar_one()


def mark_added(engine: Engine, link: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(audiobook_handoffs)
            .where(audiobook_handoffs.c.link_key == link_key(link))
            .values(status="added", added_at=utcnow())
        )


def release(engine: Engine, link: str) -> None:
    """Drop a claim the client refused, so a later run may try the link again."""
    with engine.begin() as conn:
        conn.execute(
            delete(audiobook_handoffs).where(
                (audiobook_handoffs.c.link_key == link_key(link))
                & (audiobook_handoffs.c.status == "claimed")
            )
        )


def hand_off(
    engine: Engine,
    client: QBittorrent,
    client_name: str,
    book_id: int,
    link: str,
    *,
    category: str | None = None,
    save_path: str | None = None,
) -> HandOff:
    """Give `link` to the client unless it was given before. Raises what the client
    raises (TransientError, ConfigError, HandOffRefused: the claim is released)."""
    earlier = claim(engine, book_id, link, client_name)
    if earlier == "added":
        return HandOff.DONE_BEFORE
    tag = link_tag(link)
    if earlier == "claimed" and client.torrents(tag=tag):
        mark_added(engine, link)
        return HandOff.FOUND
    try:
        client.add([link], tags=[tag], category=category, save_path=save_path)
    except HandOffRefused:
        release(engine, link)
        raise
    mark_added(engine, link)
    return HandOff.ADDED
