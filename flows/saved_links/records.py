"""Saved-link records in the app database: per-row claims and results, and the
download archive.

The claim lives here, not in Notion, because Notion has no compare-and-set: an
UPDATE ... WHERE on one row is atomic on SQLite and PostgreSQL alike, so two runs
(a scheduled one and a manual one, on any hosts) can never both hold a row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from flows.common.db import metadata
from flows.common.times import as_utc

saved_links = Table(
    "saved_links",
    metadata,
    Column("page_id", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("platform", String(32)),
    Column("claimed_by", String(64), index=True),
    Column("claimed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # runs whose every retry of this row failed transiently; Failed at the limit
    Column("transient_runs", Integer, nullable=False, server_default="0"),
    Column("outcome", String(16)),
    Column("media_key", String(255)),
    Column("file", Text),
    Column("bytes", BigInteger),
    Column("title", Text),
    Column("error_class", String(64)),
    Column("error_message", Text),
    Column("finished_at", DateTime(timezone=True)),
    Column("synced_at", DateTime(timezone=True)),
)

saved_link_media = Table(
    "saved_link_media",
    metadata,
    Column("media_key", String(255), primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("file", Text, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("source_url", Text, nullable=False),
    Column("downloaded_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Media:
    """One downloaded file, as recorded in the download archive."""

    media_key: str
    file: str  # relative to the data directory, always forward slashes
    bytes: int
    title: str
    platform: str


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LinkRecord:
    page_id: str
    url: str
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    transient_runs: int
    outcome: str | None
    media_key: str | None
    file: str | None
    bytes: int | None
    title: str | None
    platform: str | None
    error_class: str | None
    error_message: str | None
    synced_at: datetime | None

    @property
    def unsynced_result(self) -> bool:
        """A result was recorded but never reached Notion (a crash in between)."""
        return self.outcome is not None and self.synced_at is None


class LinkStore:
    """Claims and results of saved-link rows."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, page_id: str) -> LinkRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(saved_links).where(saved_links.c.page_id == page_id)
            ).one_or_none()
        return _record(row) if row else None

    def claims(self, page_ids: Iterable[str]) -> dict[str, LinkRecord]:
        ids = list(page_ids)
        if not ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(saved_links).where(saved_links.c.page_id.in_(ids))).all()
        return {r.page_id: _record(r) for r in rows}

    def claim(
        self, page_id: str, url: str, run_id: str, reclaimable: Iterable[str] = ()
    ) -> LinkRecord | None:
        """Take the row for `run_id`; None when a live run holds it.

        A row is free when nobody holds it, when this run already does (a retry),
        or when its holder is in `reclaimable` (dead runs, decided by the caller).
        """
        now = _now()
        with self.engine.begin() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(saved_links).values(
                            page_id=page_id, url=url, claimed_by=run_id, claimed_at=now, attempts=1
                        )
                    )
            except IntegrityError:
                free = saved_links.c.claimed_by.is_(None) | (saved_links.c.claimed_by == run_id)
                dead = [r for r in reclaimable if r]
                if dead:
                    free = free | saved_links.c.claimed_by.in_(dead)
                taken = conn.execute(
                    update(saved_links)
                    .where((saved_links.c.page_id == page_id) & free)
                    .values(
                        url=url,
                        claimed_by=run_id,
                        claimed_at=now,
                        attempts=saved_links.c.attempts + 1,
                    )
                ).rowcount
                if not taken:
                    return None
            row = conn.execute(select(saved_links).where(saved_links.c.page_id == page_id)).one()
        return _record(row)

    def record_result(
        self,
        page_id: str,
        *,
        platform: str | None,
        media: Media | None = None,
        error_class: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Write the outcome before telling Notion, so a crash in between is redone
        by a write-back only, never by a second download."""
        values = {
            "platform": platform,
            "outcome": "done" if media else "failed",
            "media_key": media.media_key if media else None,
            "file": media.file if media else None,
            "bytes": media.bytes if media else None,
            "title": media.title if media else None,
            "error_class": error_class,
            "error_message": error_message,
            "finished_at": _now(),
            "synced_at": None,
        }
        with self.engine.begin() as conn:
            conn.execute(update(saved_links).where(saved_links.c.page_id == page_id).values(values))

    def defer(self, page_id: str, error_class: str, error_message: str) -> int:
        """A run gave up on the row for now: count it, release the row; the new count."""
        with self.engine.begin() as conn:
            conn.execute(
                update(saved_links)
                .where(saved_links.c.page_id == page_id)
                .values(
                    transient_runs=saved_links.c.transient_runs + 1,
                    error_class=error_class,
                    error_message=error_message,
                    claimed_by=None,
                )
            )
            return conn.execute(
                select(saved_links.c.transient_runs).where(saved_links.c.page_id == page_id)
            ).scalar_one()

    def release(self, page_id: str) -> None:
        """Give the row back untouched (the host failed, not the row)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(saved_links).where(saved_links.c.page_id == page_id).values(claimed_by=None)
            )

    def mark_synced(self, page_id: str) -> None:
        """Notion has the result: release the claim."""
        with self.engine.begin() as conn:
            conn.execute(
                update(saved_links)
                .where(saved_links.c.page_id == page_id)
                .values(synced_at=_now(), claimed_by=None)
            )


class MediaStore:
    """The download archive: media already on disk, by yt-dlp archive key.

    A table rather than yt-dlp's archive text file, so workers on several hosts
    share it and each entry knows its file.
    """

    def __init__(self, engine: Engine):
        self.engine = engine

    def lookup(self, media_key: str) -> Media | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(saved_link_media).where(saved_link_media.c.media_key == media_key)
            ).one_or_none()
        if row is None:
            return None
        return Media(row.media_key, row.file, row.bytes, row.title, row.platform)

    def add(self, media: Media, source_url: str) -> None:
        values = {
            "platform": media.platform,
            "file": media.file,
            "bytes": media.bytes,
            "title": media.title,
            "source_url": source_url,
            "downloaded_at": _now(),
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                update(saved_link_media)
                .where(saved_link_media.c.media_key == media.media_key)
                .values(values)
            ).rowcount
            if not done:
                conn.execute(insert(saved_link_media).values(media_key=media.media_key, **values))


def _record(row) -> LinkRecord:
    values = {f.name: row._mapping[f.name] for f in fields(LinkRecord)}
    values["claimed_at"] = as_utc(values["claimed_at"])
    values["synced_at"] = as_utc(values["synced_at"])
    return LinkRecord(**values)
