"""The camera image index in the app database.

`camera_images` holds every kept image (one row per stream and capture time, so
the same image is never stored twice); `camera_rejects` holds the frames that
were fetched and refused (frozen repeats, empty or undecodable files, gone), so
they are not fetched again every ten minutes. Cleanup deletes from both by
`captured_at`; the health check reads per-stream freshness from the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from flows.common.db import metadata
from flows.common.times import as_utc

camera_images = Table(
    "camera_images",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("stream", String(64), nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("path", Text, nullable=False),  # relative to the data directory, forward slashes
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("stream", "captured_at"),
    Index(None, "captured_at"),
)

camera_rejects = Table(
    "camera_rejects",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("captured_at", DateTime(timezone=True), primary_key=True),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("rejected_at", DateTime(timezone=True), nullable=False),
    Index(None, "captured_at"),
)


@dataclass(frozen=True)
class StoredImage:
    """One kept image, as indexed."""

    stream: str
    captured_at: datetime
    path: str
    sha256: str
    bytes: int
    width: int
    height: int


class ImageIndex:
    """Reads and writes of the camera tables; every method is one short transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def known(self, stream: str, since: datetime) -> set[datetime]:
        """Capture times at or after `since` that were kept or rejected already."""
        with self.engine.connect() as conn:
            kept = conn.execute(
                select(camera_images.c.captured_at).where(
                    (camera_images.c.stream == stream) & (camera_images.c.captured_at >= since)
                )
            ).scalars()
            refused = conn.execute(
                select(camera_rejects.c.captured_at).where(
                    (camera_rejects.c.stream == stream) & (camera_rejects.c.captured_at >= since)
                )
            ).scalars()
            return {as_utc(t) for t in (*kept, *refused)}

    def previous(self, stream: str, before: datetime) -> StoredImage | None:
        """The kept image of `stream` captured last before `before` (frozen detection)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(camera_images)
                .where((camera_images.c.stream == stream) & (camera_images.c.captured_at < before))
                .order_by(camera_images.c.captured_at.desc())
                .limit(1)
            ).one_or_none()
        return _image(row) if row else None

    def kept_between(self, stream: str, first: datetime, last: datetime) -> list[StoredImage]:
        """Kept images of `stream` captured in [first, last], oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(camera_images)
                .where(
                    (camera_images.c.stream == stream)
                    & (camera_images.c.captured_at >= first)
                    & (camera_images.c.captured_at <= last)
                )
                .order_by(camera_images.c.captured_at)
            ).all()
        return [_image(r) for r in rows]

    def add(self, image: StoredImage) -> bool:
        """Index a kept image; False when that stream and time are indexed already."""
        values = {**image.__dict__, "stored_at": datetime.now(UTC)}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(camera_images).values(values))
        except IntegrityError:
            return False
        return True

    def reject(self, stream: str, captured_at: datetime, reason: str, detail: str, url: str):
        """Remember a refused frame so it is not fetched again; first reason wins."""
        values = {
            "stream": stream,
            "captured_at": captured_at,
            "reason": reason,
            "detail": detail,
            "url": url,
            "rejected_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(camera_rejects).values(values))
        except IntegrityError:
            pass

    def activity(self, stream: str, since: datetime) -> tuple[int, int, list[dict[str, str]]]:
        """Images kept, their bytes, and the frames refused since `since`.

        The flow reports from here rather than from its task results, so a stream
        whose task was retried still counts what its earlier attempts kept.
        """
        with self.engine.connect() as conn:
            kept, nbytes = conn.execute(
                select(func.count(), func.coalesce(func.sum(camera_images.c.bytes), 0)).where(
                    (camera_images.c.stream == stream) & (camera_images.c.stored_at >= since)
                )
            ).one()
            refused = conn.execute(
                select(
                    camera_rejects.c.captured_at, camera_rejects.c.reason, camera_rejects.c.detail
                )
                .where(
                    (camera_rejects.c.stream == stream) & (camera_rejects.c.rejected_at >= since)
                )
                .order_by(camera_rejects.c.captured_at)
            ).all()
        rejects = [
            {"stream": stream, "captured_at": as_utc(at).isoformat(), "reason": why, "detail": d}
            for at, why, d in refused
        ]
        return kept, int(nbytes), rejects

    def latest(self, streams: Iterable[str]) -> dict[str, datetime | None]:
        """Capture time of the newest kept image per stream (None: never one)."""
        names = list(streams)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(camera_images.c.stream, func.max(camera_images.c.captured_at))
                .where(camera_images.c.stream.in_(names))
                .group_by(camera_images.c.stream)
            ).all()
        found = {stream: as_utc(at) for stream, at in rows}
        return {name: found.get(name) for name in names}

    def frozen_since(self, stream: str, after: datetime | None) -> datetime | None:
        """Start of the run of frozen repeats after the newest kept image, if any.

        A camera is frozen while every frame after its last kept image repeats it.
        """
        query = select(camera_rejects.c.captured_at, camera_rejects.c.reason).where(
            camera_rejects.c.stream == stream
        )
        if after is not None:
            query = query.where(camera_rejects.c.captured_at > after)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(camera_rejects.c.captured_at)).all()
        since = None
        for at, reason in rows:
            since = (since or as_utc(at)) if reason == "frozen" else None
        return since


def _image(row) -> StoredImage:
    m = row._mapping
    return StoredImage(
        stream=m["stream"],
        captured_at=as_utc(m["captured_at"]),
        path=m["path"],
        sha256=m["sha256"],
        bytes=m["bytes"],
        width=m["width"],
        height=m["height"],
    )
