"""Shared set-up of the catalogue, top-10 and series tests: a library with owned books,
blocks pointing at the sandbox, and readers of what the jobs wrote."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select

from blocks.audiobooks import CatalogueFeed, DownloadClient
from flows.audiobooks.library import add_book
from flows.audiobooks.tables import (
    audiobook_books,
    audiobook_failed_attempts,
    audiobook_feed_items,
    audiobook_handoffs,
    audiobook_series,
)
from infra.sandbox.core.client import Sandbox

SANDERSON = ["Brandon Sanderson"]


def catalogue_block(sb: Sandbox, **fields: Any) -> CatalogueFeed:
    values: dict[str, Any] = {
        "url": f"{sb.catalogue.base_url}/listings.rss",
        "top10_url": f"{sb.catalogue.base_url}/top10/{{genre}}.json",
        "genres": ["fantasy", "science-fiction"],
        "min_interval_seconds": 0.0,
        "timeout_seconds": 10.0,
    }
    return CatalogueFeed(**{**values, **fields})


def client_block(sb: Sandbox, password: str = "adminadmin", **fields: Any) -> DownloadClient:
    return DownloadClient(
        url=sb.qbittorrent.base_url,
        username="admin",
        password=SecretStr(password),
        **fields,
    )


def own(
    engine: Engine,
    title: str,
    authors: list[str],
    series: str | None = None,
    position: float | None = None,
) -> int:
    """An owned book, as the library import adds one."""
    values: dict[str, Any] = {"title": title, "authors": authors}
    if series is not None:
        values.update(series=series, series_position=position)
    with engine.begin() as conn:
        book_id, _ = add_book(
            conn,
            values,
            status="owned",
            origin="library",
            origin_key=f"library:{'/'.join(authors)}/{series or ''}/{title}",
            source="folder",
        )
    return book_id


def demo_library(engine: Engine) -> None:
    """Mistborn 1, 2 and 4, The Way of Kings, The Martian: engineer L's demo library."""
    own(engine, "The Final Empire", SANDERSON, "Mistborn", 1)
    own(engine, "The Well of Ascension", SANDERSON, "Mistborn", 2)
    own(engine, "The Alloy of Law", SANDERSON, "Mistborn", 4)
    own(engine, "The Way of Kings", SANDERSON, "The Stormlight Archive", 1)
    own(engine, "The Martian", ["Andy Weir"])


def books(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    query = select(audiobook_books, audiobook_series.c.name.label("series")).select_from(
        audiobook_books.outerjoin(audiobook_series)
    )
    if status:
        query = query.where(audiobook_books.c.status == status)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(audiobook_books.c.id)).mappings()]


def feed_items(engine: Engine, feed: str | None = None) -> list[dict[str, Any]]:
    query = select(audiobook_feed_items).order_by(audiobook_feed_items.c.id)
    if feed:
        query = query.where(audiobook_feed_items.c.feed == feed)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def failed_attempts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(audiobook_failed_attempts).order_by(audiobook_failed_attempts.c.id)
            ).mappings()
        ]


def handoffs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(audiobook_handoffs).order_by(audiobook_handoffs.c.id)
            ).mappings()
        ]


def item(title: str | None, **fields: Any) -> dict[str, Any]:
    """A catalogue item for ``sb.catalogue.items``; its id is derived from the title."""
    base: dict[str, Any] = {"title": title}
    if title is not None:
        base["id"] = "id-" + "-".join(title.lower().split())
    return {**base, **fields}


def magnet(name: str) -> str:
    return f"magnet:?xt=urn:btih:{hashlib.sha1(name.encode()).hexdigest()}&dn={name}"
