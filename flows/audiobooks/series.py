"""Job 5: the missing books of every series the library owns a book of become wanted,
and, when downloads are on, their catalogue links go to the download client once.

A gap is a whole number from 1 to the highest position known for the series (owned
or wanted books, and listings of the series by one of its authors) that no book of
the series holds. A position like 2.5 is a novella: it never is a gap and never fills
one. A gap's title is the listing's when the catalogue lists that position, else the
placeholder "<Series> #<n>", which a listing seen later (or Google Books) replaces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from blocks.audiobooks import DownloadClient
from flows.audiobooks import DOWNLOAD_CLIENT_BLOCK, handoffs
from flows.audiobooks.download_client import HandOffRefused, QBittorrent
from flows.audiobooks.feed_items import (
    LISTINGS,
    authors_agree,
    find_book,
    link_wanted,
    set_book,
)
from flows.audiobooks.handoffs import HandOff
from flows.audiobooks.isbn import isbn10
from flows.audiobooks.jobs import Outcome
from flows.audiobooks.library import add_book, field_sources, write_fields
from flows.audiobooks.names import name_key
from flows.audiobooks.tables import audiobook_books, audiobook_feed_items, audiobook_series
from flows.audiobooks.taskrecords import JobRun
from flows.common.artifacts import markdown_table
from flows.common.errors import ConfigError, PermanentError


def placeholder(series: str, position: int) -> str:
    return f"{series} #{position}"


def origin_key(series_key: str, position: int) -> str:
    return f"series:{series_key}#{position}"[:512]


def gaps(positions: Sequence[float], known_highest: float | None = None) -> list[int]:
    """Whole positions from 1 to the highest known that no book holds."""
    highest = max([*positions, known_highest or 0], default=0)
    held = {int(p) for p in positions if float(p).is_integer()}
    return [n for n in range(1, math.floor(highest) + 1) if n not in held]


@dataclass
class Series:
    id: int
    name: str
    key: str
    authors: list[str]
    books: list[dict[str, Any]] = field(default_factory=list)  # id, position, status, title
    listings: list[Any] = field(default_factory=list)  # feed item rows of the series


def _series_with_owned_books(conn: Connection) -> list[Series]:
    rows = conn.execute(
        select(
            audiobook_books.c.id,
            audiobook_books.c.title,
            audiobook_books.c.authors,
            audiobook_books.c.status,
            audiobook_books.c.origin_key,
            audiobook_books.c.series_position,
            audiobook_series.c.id.label("series_id"),
            audiobook_series.c.name.label("series_name"),
            audiobook_series.c.name_key.label("series_key"),
        )
        .select_from(audiobook_books.join(audiobook_series))
        .order_by(audiobook_series.c.id, audiobook_books.c.series_position, audiobook_books.c.id)
    ).mappings()
    found: dict[int, Series] = {}
    for row in rows:
        entry = found.setdefault(
            row["series_id"], Series(row["series_id"], row["series_name"], row["series_key"], [])
        )
        entry.books.append(dict(row))
        if row["status"] == "owned" and not entry.authors:
            entry.authors = list(row["authors"] or [])
    chosen = [s for s in found.values() if any(b["status"] == "owned" for b in s.books)]
    by_key = {s.key: s for s in chosen}
    if by_key:
        for item in conn.execute(
            select(audiobook_feed_items)
            .where(audiobook_feed_items.c.series.is_not(None))
            .order_by(audiobook_feed_items.c.feed != LISTINGS, audiobook_feed_items.c.id)
        ).mappings():
            entry = by_key.get(name_key(item["series"]))
            if entry and authors_agree(item["authors"] or [], entry.authors):
                entry.listings.append(item)
    return chosen


def _listing_at(series: Series, position: int) -> Any | None:
    return next((i for i in series.listings if i["series_position"] == float(position)), None)


def _placeholder_source(conn: Connection, series: Series) -> str:
    """Where a placeholder's values came from: where the owned books got their series
    (never "user": a placeholder must stay open to a better title)."""
    owned = next(b for b in series.books if b["status"] == "owned")
    current = field_sources(conn, owned["id"]).get("series")
    return current.source if current and current.source in ("opf", "folder", "google") else "folder"


def _values(series: Series, position: int, listing: Any | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": listing["title"] if listing else placeholder(series.name, position),
        "authors": list(listing["authors"] or series.authors) if listing else series.authors,
        "series": series.name,
        "series_position": float(position),
    }
    if listing:
        values.update(
            language=listing["language"],
            isbn_13=listing["isbn"],
            isbn_10=isbn10(listing["isbn"]),
        )
    return {k: v for k, v in values.items() if v not in (None, "", [])}


@dataclass
class Completion:
    wanted: list[str] = field(default_factory=list)  # "<series> #n: title" added now
    retitled: list[str] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)  # wanted already, now in the series
    failures: list[tuple[str, str]] = field(default_factory=list)


def _complete(conn: Connection, result: Completion) -> list[Series]:
    chosen = _series_with_owned_books(conn)
    for series in chosen:
        positions = [b["series_position"] for b in series.books if b["series_position"]]
        known = max(
            (i["series_position"] for i in series.listings if i["series_position"]), default=0
        )
        for position in gaps(positions, known):
            label = f"{series.name} #{position}"
            try:
                with conn.begin_nested():
                    _fill_gap(conn, series, position, result)
            except PermanentError as exc:
                result.failures.append((label, str(exc)))
        _retitle(conn, series, result)
    return chosen


def _fill_gap(conn: Connection, series: Series, position: int, result: Completion) -> None:
    """A wanted book for the gap; or, when the catalogue names the book at that position
    and the library wants it already (say through a top-10 list), that book takes its
    place in the series instead of a second copy being wanted."""
    listing = _listing_at(series, position)
    label = f"{series.name} #{position}"
    found = None
    if listing is not None:
        found = find_book(conn, listing["title"], listing["authors"] or series.authors)
    if found is not None:
        book_id, status = found
        if status == "wanted":
            write_fields(
                conn, book_id, {"series": series.name, "series_position": float(position)}, "feed"
            )
            result.placed.append(f"{label}: {listing['title']}")
    else:
        book_id, added = add_book(
            conn,
            _values(series, position, listing),
            status="wanted",
            origin="series",
            origin_key=origin_key(series.key, position),
            source="feed" if listing else _placeholder_source(conn, series),
        )
        if added:
            title = listing["title"] if listing else placeholder(series.name, position)
            result.wanted.append(f"{label}: {title}")
    if listing is not None and listing["book_id"] is None:
        set_book(conn, listing["id"], book_id)


def _retitle(conn: Connection, series: Series, result: Completion) -> None:
    """A placeholder whose position the catalogue now lists takes the listing's title."""
    for book in series.books:
        position = book["series_position"]
        if book["status"] != "wanted" or position is None or not float(position).is_integer():
            continue
        if book["title"] != placeholder(series.name, int(position)):
            continue
        listing = _listing_at(series, int(position))
        if listing is None:
            continue
        values = {"title": listing["title"]}
        if listing["authors"]:
            values["authors"] = listing["authors"]
        written = write_fields(conn, book["id"], values, "feed")
        if listing["book_id"] is None:
            set_book(conn, listing["id"], book["id"])
        if "title" in written:
            result.retitled.append(f"{series.name} #{int(position)}: {listing['title']}")


def _to_hand_off(conn: Connection, chosen: Sequence[Series]) -> list[tuple[int, str, str]]:
    """(book id, label, link) of each wanted book of these series a listing links to."""
    found = []
    for series in chosen:
        wanted = {
            b["id"]
            for b in conn.execute(
                select(audiobook_books.c.id).where(
                    (audiobook_books.c.series_id == series.id)
                    & (audiobook_books.c.status == "wanted")
                )
            ).mappings()
        }
        if not wanted:
            continue
        rows = conn.execute(
            select(
                audiobook_feed_items.c.book_id,
                audiobook_feed_items.c.title,
                audiobook_feed_items.c.link,
            )
            .where(
                audiobook_feed_items.c.book_id.in_(wanted)
                & audiobook_feed_items.c.link.is_not(None)
            )
            .order_by(audiobook_feed_items.c.feed != LISTINGS, audiobook_feed_items.c.id)
        ).all()
        chosen_books: set[int] = set()
        for row in rows:
            if row.book_id not in chosen_books:
                chosen_books.add(row.book_id)
                found.append((row.book_id, f"{series.name}: {row.title}", row.link))
    return found


def complete_series(
    engine: Engine,
    client_block: DownloadClient | None,
    run: JobRun,
    *,
    hand_off: bool = False,
    client_name: str = DOWNLOAD_CLIENT_BLOCK,
) -> Outcome:
    """Make every series gap a wanted book; with `hand_off`, hand each wanted
    book of those series that a listing links to to the download client, once.

    Raises ConfigError (hand-off on without a block, login refused or banned) and
    TransientError (client unreachable or 5xx: the books not handed over yet go on the
    next run; claims left behind are checked against the client first).
    """
    if hand_off and client_block is None:
        raise ConfigError(f"hand-off is on but no {client_name} block was given")
    result = Completion()
    with engine.begin() as conn:
        link_wanted(conn)
        chosen = _complete(conn, result)
        link_wanted(conn)
        pending = _to_hand_off(conn, chosen) if hand_off else []
    for label, why in result.failures:
        run.failure(label, why)
    run.ok(len(result.wanted))
    for line in result.wanted:
        run.log(f"wanted: {line}")
    outcomes: dict[HandOff, list[str]] = {state: [] for state in HandOff}
    if pending:
        assert client_block is not None
        with QBittorrent(client_block, block_name=client_name) as client:
            client.login()  # a refused login stops the run before any claim is made
            for book_id, label, link in pending:
                try:
                    state = handoffs.hand_off(
                        engine,
                        client,
                        client_name,
                        book_id,
                        link,
                        category=client_block.category,
                        save_path=client_block.save_path,
                    )
                except HandOffRefused as exc:
                    run.failure(label, exc)
                    continue
                outcomes[state].append(label)
                if state is not HandOff.DONE_BEFORE:
                    run.ok()
                    run.log(f"handed to {client_name}: {label}")
    return _outcome(result, chosen, outcomes, hand_off)


def _outcome(
    result: Completion,
    chosen: Sequence[Series],
    outcomes: dict[HandOff, list[str]],
    hand_off: bool,
) -> Outcome:
    handed = outcomes[HandOff.ADDED] + outcomes[HandOff.FOUND]
    summary = f"series: {len(chosen)} checked, {len(result.wanted)} new wanted book(s)"
    summary += f", {len(handed)} handed to the download client" if hand_off else ", hand-off off"
    rows = [(line, "wanted") for line in result.wanted]
    rows += [(line, "retitled from the catalogue") for line in result.retitled]
    rows += [(line, "wanted already, placed in the series") for line in result.placed]
    rows += [(label, "handed to the download client") for label in handed]
    markdown = markdown_table(("book", "what happened"), rows) if rows else ""
    return Outcome(
        summary=summary,
        markdown=markdown,
        data={
            "series": len(chosen),
            "wanted": result.wanted,
            "retitled": result.retitled,
            "placed": result.placed,
            "handed_off": outcomes[HandOff.ADDED],
            "found_in_client": outcomes[HandOff.FOUND],
            "handed_before": outcomes[HandOff.DONE_BEFORE],
            "failed": len(result.failures),
        },
    )
