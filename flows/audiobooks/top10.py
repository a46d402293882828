"""Job 2: each enabled genre's top-10 list; the titles the library does not have become
wanted books.

"Does not have" is the library's normalised title with an author in common, owned or
already wanted: a book wanted through another genre's list, a series gap or an
earlier week is not added again, and the key a top-10 book is added under depends on
the book (title and first author), not on the genre or the week. One genre failing
(its list is missing, broken, or the catalogue is busy) never sinks the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from urllib.parse import quote

from sqlalchemy import Connection, Engine

from blocks.audiobooks import CatalogueFeed
from flows.audiobooks import CATALOGUE_BLOCK
from flows.audiobooks.feed import CatalogueFetcher, load_validators, save_validators
from flows.audiobooks.feed_items import find_book, set_book, store_items, top10_feed
from flows.audiobooks.feed_parse import FeedItem, parse_feed
from flows.audiobooks.isbn import isbn10
from flows.audiobooks.jobs import Outcome
from flows.audiobooks.library import add_book
from flows.audiobooks.names import name_key, title_key
from flows.audiobooks.taskrecords import JobRun
from flows.common.artifacts import markdown_table
from flows.common.errors import ConfigError, PermanentError, TransientError

TOP = 10


def top10_url(block: CatalogueFeed, genre: str) -> str:
    if not block.top10_url:
        raise ConfigError(f"{CATALOGUE_BLOCK} block: top10_url is not set")
    if "{genre}" not in block.top10_url:
        raise ConfigError(f"{CATALOGUE_BLOCK} block: top10_url must contain '{{genre}}'")
    return block.top10_url.replace("{genre}", quote(genre, safe=""))


def origin_key(item: FeedItem) -> str:
    """One key per book, whichever genre or week lists it."""
    author = name_key(item.authors[0]) if item.authors else ""
    return f"top10:{title_key(item.title)}|{author}"[:512]


def ranked(items: Sequence[FeedItem], genre: str) -> list[FeedItem]:
    """The first `TOP` by rank; an item without a rank is ranked by where the list has it."""
    numbered = [
        dataclasses.replace(item, rank=item.rank or index + 1, genre=item.genre or genre)
        for index, item in enumerate(items)
    ]
    numbered.sort(key=lambda item: item.rank or 0)
    return numbered[:TOP]


def _book_values(item: FeedItem) -> dict:
    values = {
        "title": item.title,
        "authors": list(item.authors),
        "series": item.series,
        "series_position": item.series_position,
        "language": item.language,
        "isbn_13": item.isbn,
        "isbn_10": isbn10(item.isbn),
    }
    return {k: v for k, v in values.items() if v not in (None, "", [])}


@dataclasses.dataclass
class GenreResult:
    genre: str
    not_modified: bool = False
    listed: int = 0
    owned: list[str] = dataclasses.field(default_factory=list)
    already_wanted: list[str] = dataclasses.field(default_factory=list)
    added: list[str] = dataclasses.field(default_factory=list)


def _want(conn: Connection, genre: str, items: Sequence[FeedItem], result: GenreResult) -> None:
    stored = store_items(conn, top10_feed(genre), items)
    for entry in stored:
        item = entry.item
        found = find_book(conn, item.title, item.authors)
        if found is None:
            book_id, added = add_book(
                conn,
                _book_values(item),
                status="wanted",
                origin="top10",
                origin_key=origin_key(item),
                source="feed",
            )
            (result.added if added else result.already_wanted).append(item.title)
        else:
            book_id, status = found
            (result.owned if status == "owned" else result.already_wanted).append(item.title)
        if entry.book_id != book_id:
            set_book(conn, entry.id, book_id)


def sync_top10(
    engine: Engine,
    block: CatalogueFeed,
    run: JobRun,
    *,
    genres: Sequence[str] | None = None,
    fetcher: CatalogueFetcher | None = None,
) -> Outcome:
    """Pull each genre's top-10 (the block's genres unless `genres` is given) and make
    every title not owned a wanted book.

    A genre whose list is missing or broken is a failed item; the others go on.
    Raises ConfigError at once (no top10_url, credentials refused: every genre would
    fail alike), and TransientError after the other genres when a genre failed for a
    reason a retry can fix (the catalogue busy or down); the genres done stay done and
    answer 304 on the retry.
    """
    chosen = [g.strip() for g in (genres if genres is not None else block.genres) if g.strip()]
    if not chosen:
        raise ConfigError(
            f"{CATALOGUE_BLOCK} block: no genres (set its genres, or pass genres to the run)"
        )
    urls = {genre: top10_url(block, genre) for genre in chosen}
    own = fetcher is None
    fetcher = fetcher or CatalogueFetcher(block)
    results: list[GenreResult] = []
    transient: list[str] = []
    try:
        for genre in chosen:
            try:
                results.append(_one_genre(engine, fetcher, genre, urls[genre], run))
            except ConfigError:
                raise
            except (PermanentError, TransientError) as exc:
                run.failure(f"top10:{genre}", exc)
                if isinstance(exc, TransientError):
                    transient.append(f"{genre}: {exc}")
    finally:
        if own:
            fetcher.close()
    if transient:
        raise TransientError("top-10 lists to fetch again: " + "; ".join(transient))
    return _outcome(results, len(chosen))


def _one_genre(
    engine: Engine, fetcher: CatalogueFetcher, genre: str, url: str, run: JobRun
) -> GenreResult:
    result = GenreResult(genre)
    with engine.connect() as conn:
        validators = load_validators(conn, url)
    fetched = fetcher.get(url, validators)
    if fetched.not_modified:
        result.not_modified = True
        run.log(f"top10:{genre}: not modified since the last run")
        return result
    parsed = parse_feed(fetched.body, url, fetched.content_type)
    items = ranked(parsed.items, genre)
    result.listed = len(items)
    with engine.begin() as conn:
        _want(conn, genre, items, result)
        save_validators(conn, fetched)
    # failed attempts are written on a connection of their own: after the commit
    for label, why in parsed.rejected:
        run.failure(f"top10:{genre} {label}", why)
    run.ok(len(items))
    run.log(
        f"top10:{genre}: {len(items)} listed, {len(result.added)} now wanted, "
        f"{len(result.owned)} owned, {len(result.already_wanted)} already wanted"
    )
    return result


def _outcome(results: list[GenreResult], asked: int) -> Outcome:
    added = sum(len(r.added) for r in results)
    failed = asked - len(results)
    summary = f"top-10: {len(results)} genre(s), {added} new wanted book(s)"
    if failed:
        summary += f", {failed} genre(s) failed"
    rows = [
        (
            r.genre,
            "not modified" if r.not_modified else r.listed,
            len(r.owned),
            len(r.already_wanted),
            ", ".join(r.added),
        )
        for r in results
    ]
    markdown = markdown_table(("genre", "listed", "owned", "already wanted", "now wanted"), rows)
    data = {
        r.genre: {
            "not_modified": r.not_modified,
            "listed": r.listed,
            "owned": r.owned,
            "already_wanted": r.already_wanted,
            "added": r.added,
        }
        for r in results
    }
    return Outcome(summary=summary, markdown=markdown, data=data)
