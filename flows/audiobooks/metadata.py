"""The metadata refresh: which books a job covers, one pass (a cycle) over them that
survives the daily quota, and the lookups themselves.

A cycle starts with the set of books the job covers and is done when each was checked
once after the cycle started. A run that meets the quota stops cleanly, records the
first book it did not reach (`stopped_at_book`) and why, and leaves the cycle open; the
next run continues it with the books not yet checked since it started, so no book is
asked for twice before every book was asked once. A run that got through finishes the
cycle; the next run starts a new one (which the answer cache makes free inside its
window).

Answers already cached are resolved in bulk (one read of the books, one of the cache,
one UPDATE of the refresh times for every book whose values did not change), so a run
inside the cache window costs the database a few statements and Google nothing. The
rest is asked with at most `max_in_flight` requests at once, each counted against the
budget before it is sent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from flows.audiobooks.googlebooks import Books, Search
from flows.audiobooks.isbn import isbn13
from flows.audiobooks.matching import Decision, decide
from flows.audiobooks.merge import apply_values, book_rows, changed, stamp, volume_values
from flows.audiobooks.quota import QuotaExhausted
from flows.audiobooks.review import propose
from flows.audiobooks.tables import audiobook_books, audiobook_refresh_cycles
from flows.audiobooks.taskrecords import JobRun
from flows.common.errors import ConfigError, TransientError
from flows.common.times import as_utc, utcnow

JOBS = ("metadata-full", "metadata-new")
NEW_BOOK_DAYS = 7  # metadata-new: books added this recently, or never refreshed
CHUNK_SIZE = 100  # books per lookup task (one Prefect retry unit)
_WRITE_BATCH = 200  # books per transaction of the cached pass
_BRACKETS = re.compile(r"[\(\[][^\)\]]*[\)\]]")


def search_for(book: Mapping[str, Any]) -> Search:
    """The request that finds a book: by ISBN when it has a valid one, else by title
    and first author (quoted phrases, as Google's operators take them)."""
    isbn = isbn13(book.get("isbn_13")) or isbn13(book.get("isbn_10"))
    if isbn:
        return Search(f"isbn:{isbn}")
    title = " ".join(_BRACKETS.sub(" ", book.get("title") or "").replace('"', " ").split())
    q = f'intitle:"{title}"'
    authors = [a for a in book.get("authors") or [] if a and a.strip()]
    if authors:
        q += ' inauthor:"{}"'.format(authors[0].replace('"', " ").strip())
    return Search(q)


def item_name(book: Mapping[str, Any]) -> str:
    """How a failed attempt names the book."""
    return f"book {book['id']}: {book.get('title') or '?'}"


@dataclass
class Plan:
    job: str
    cycle_id: int
    started_at: datetime
    book_ids: list[int]
    resumed: bool


@dataclass
class Tally:
    """What a pass over some books did."""

    applied: dict[int, list[str]] = field(default_factory=dict)  # book -> fields written
    exact: int = 0
    matched: int = 0
    reviewed: list[tuple[int, str, float, str]] = field(default_factory=list)
    unmatched: int = 0
    cached: int = 0
    requests: int = 0
    done: list[int] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (item, error)
    transient: list[tuple[int, str]] = field(default_factory=list)
    stopped: str | None = None

    def add(self, other: Tally) -> None:
        self.applied.update(other.applied)
        self.exact += other.exact
        self.matched += other.matched
        self.reviewed += other.reviewed
        self.unmatched += other.unmatched
        self.cached += other.cached
        self.requests += other.requests
        self.done += other.done
        self.failures += other.failures
        self.transient += other.transient
        self.stopped = self.stopped or other.stopped

    def count(self, book_id: int, decision: Decision) -> None:
        self.done.append(book_id)
        if decision.kind == "exact":
            self.exact += 1
        elif decision.kind == "match":
            self.matched += 1
        elif decision.kind == "review":
            self.reviewed.append(
                (book_id, decision.volume_id or "", decision.score, decision.reason)
            )
        else:
            self.unmatched += 1

    def summary(self) -> str:
        text = (
            f"{len(self.done)} book(s) checked: {self.exact} exact, {self.matched} by title, "
            f"{len(self.reviewed)} to review, {self.unmatched} without match; "
            f"{sum(1 for f in self.applied.values() if f)} changed; "
            f"{self.requests} request(s), {self.cached} cached"
        )
        if self.failures:
            text += f"; {len(self.failures)} failed"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text


# --- which books, which cycle -------------------------------------------------------------


def covered(job: str, now: datetime):
    """The condition on books a job covers."""
    if job == "metadata-full":
        return audiobook_books.c.id.isnot(None)
    if job == "metadata-new":
        return or_(
            audiobook_books.c.added_at >= now - timedelta(days=NEW_BOOK_DAYS),
            audiobook_books.c.metadata_refreshed_at.is_(None),
        )
    raise ConfigError(f"job must be one of {JOBS}, got {job!r}")


def _remaining(conn, job: str, since: datetime, now: datetime) -> list[int]:
    checked = audiobook_books.c.metadata_checked_at
    return list(
        conn.execute(
            select(audiobook_books.c.id)
            .where(covered(job, now) & or_(checked.is_(None), checked < since))
            .order_by(audiobook_books.c.id)
        ).scalars()
    )


def plan(engine: Engine, job: str, now: datetime | None = None) -> Plan:
    """The job's open cycle (continued) or a new one, and the books it still needs."""
    moment = now or utcnow()
    table = audiobook_refresh_cycles.c
    with engine.begin() as conn:
        open_cycle = conn.execute(
            select(table.id, table.started_at)
            .where((table.job == job) & table.finished_at.is_(None))
            .order_by(table.id.desc())
            .limit(1)
        ).first()
        if open_cycle is not None:
            started = as_utc(open_cycle.started_at)
            ids = _remaining(conn, job, started, moment)
            if ids:
                return Plan(job, open_cycle.id, started, ids, resumed=True)
            conn.execute(
                update(audiobook_refresh_cycles)
                .where(table.id == open_cycle.id)
                .values(finished_at=moment)
            )
        cycle_id = conn.execute(
            insert(audiobook_refresh_cycles)
            .values(job=job, started_at=moment)
            .returning(audiobook_refresh_cycles.c.id)
        ).scalar_one()
        return Plan(job, cycle_id, moment, _remaining(conn, job, moment, moment), resumed=False)


def close(engine: Engine, plan_: Plan, tally: Tally, now: datetime | None = None) -> int | None:
    """Finish the cycle, or, when the run stopped, record where; returns that book."""
    done = set(tally.done)
    stopped_at = next((b for b in plan_.book_ids if b not in done), None) if tally.stopped else None
    values: dict[str, Any] = {"stopped_at_book": stopped_at, "stopped_reason": tally.stopped}
    if not tally.stopped:
        values["finished_at"] = now or utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(audiobook_refresh_cycles)
            .where(audiobook_refresh_cycles.c.id == plan_.cycle_id)
            .values(**values)
        )
    return stopped_at


# --- settling a book with an answer -------------------------------------------------------


def _settle(
    conn, book: Mapping[str, Any], answer: Mapping[str, Any], tally: Tally
) -> Search | None:
    """Decide and write one book (the caller holds a transaction).

    A merge can change what the book's search is (a title match brings an ISBN, so the
    next search is `isbn:`); the answer is kept under that search too, which finds the
    same volume by the identifier it carries, so the next run inside the cache window
    still asks nothing: the search returned is where the caller caches the answer again
    (in the same transaction).
    """
    decision = decide(book, answer)
    alias = None
    if decision.kind in ("exact", "match"):
        assert decision.volume is not None
        values = volume_values(decision.volume)
        written = apply_values(conn, book, values)
        tally.applied[book["id"]] = written
        before, after = search_for(book), search_for({**book, **{f: values[f] for f in written}})
        if after.key != before.key:
            alias = after
    else:
        if decision.kind == "review":
            propose(conn, book["id"], decision)
        stamp(conn, [book["id"]], refreshed=False)
    tally.count(book["id"], decision)
    return alias


def resolve_cached(
    engine: Engine, books: Books, book_ids: Sequence[int]
) -> tuple[Tally, list[int]]:
    """Settle every book whose answer is cached, in bulk; returns the tally and the ids
    still to ask Google about (in the given order)."""
    tally = Tally()
    with engine.connect() as conn:
        rows = book_rows(conn, book_ids)
    searches = {b: search_for(rows[b]) for b in book_ids if b in rows}
    answers = books.cached(list(searches.values()))
    hits = [b for b, s in searches.items() if s.key in answers]
    remaining = [b for b, s in searches.items() if s.key not in answers]
    for start in range(0, len(hits), _WRITE_BATCH):
        unchanged: dict[bool, list[int]] = {True: [], False: []}
        with engine.begin() as conn:
            for book_id in hits[start : start + _WRITE_BATCH]:
                book = rows[book_id]
                answer = answers[searches[book_id].key]
                tally.cached += 1
                try:
                    decision = decide(book, answer)
                    if decision.kind in ("exact", "match") and not changed(
                        book, volume_values(decision.volume or {})
                    ):
                        unchanged[True].append(book_id)  # nothing to write but the times
                        tally.applied[book_id] = []
                        tally.count(book_id, decision)
                    elif decision.kind == "none":
                        unchanged[False].append(book_id)
                        tally.count(book_id, decision)
                    else:
                        with conn.begin_nested():
                            alias = _settle(conn, book, answer, tally)
                            if alias is not None:
                                books.cache.store(conn, alias.key, alias.describe(), answer)
                except Exception as exc:  # one bad book never sinks the batch
                    tally.failures.append((item_name(book), f"{type(exc).__name__}: {exc}"))
            for refreshed, ids in unchanged.items():
                if ids:
                    stamp(conn, ids, refreshed=refreshed)
    return tally, remaining


# --- asking Google ------------------------------------------------------------------------


def lookup(engine: Engine, books: Books, book_ids: Sequence[int], max_in_flight: int) -> Tally:
    """Settle these books: cached answers in bulk, the rest asked with at most
    `max_in_flight` requests at once.

    Stops asking at the quota (`tally.stopped`); a bad key raises ConfigError at once;
    a per-minute 429 / 5xx / network error of a book lands in `tally.transient` (the
    Prefect task raises it after the others finished, so its retry asks only for what
    is missing); any other error of a book lands in `tally.failures`.
    """
    tally, remaining = resolve_cached(engine, books, book_ids)
    if not remaining:
        return tally
    with engine.connect() as conn:
        rows = book_rows(conn, remaining)
    stop = threading.Event()
    lock = threading.Lock()
    fatal: list[BaseException] = []

    def one(book_id: int) -> None:
        if stop.is_set():
            return
        book = rows[book_id]
        mine = Tally()
        try:
            search = search_for(book)
            answer, asked = books.answer(search, store=False)
            mine.requests += int(asked)
            mine.cached += int(not asked)
            with engine.begin() as conn:  # the answer and its use: one commit
                if asked:
                    books.cache.store(conn, search.key, search.describe(), answer)
                alias = _settle(conn, book, answer, mine)
                if alias is not None:
                    books.cache.store(conn, alias.key, alias.describe(), answer)
        except QuotaExhausted as exc:
            stop.set()
            mine.stopped = str(exc)
        except ConfigError as exc:
            stop.set()
            with lock:
                fatal.append(exc)
        except TransientError as exc:
            mine.transient.append((book_id, str(exc)))
        except Exception as exc:  # this book's problem; the batch goes on
            mine.failures.append((item_name(book), f"{type(exc).__name__}: {exc}"))
        with lock:
            tally.add(mine)

    with ThreadPoolExecutor(max_workers=max(1, max_in_flight)) as pool:
        list(pool.map(one, remaining))
    if fatal:
        raise fatal[0]
    return tally


def chunks(ids: Sequence[int], size: int = CHUNK_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def record(run: JobRun, tally: Tally, names: Mapping[int, str] | None = None) -> None:
    """Count a tally into the job's task record (failures written at once)."""
    run.ok(len(tally.done))
    for item, error in tally.failures:
        run.failure(item, error)
    for book_id, error in tally.transient:
        run.failure((names or {}).get(book_id, f"book {book_id}"), error)
    if tally.stopped:
        run.log(f"stopped: {tally.stopped}")


def refresh(
    engine: Engine,
    books: Books,
    job: str,
    run: JobRun | None = None,
    *,
    max_in_flight: int = 8,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[Plan, Tally]:
    """One run of a refresh job without Prefect (tests, benchmarks): the same steps the
    flow takes, with no retries (a transient error fails its book for this run)."""
    plan_ = plan(engine, job)
    tally, remaining = resolve_cached(engine, books, plan_.book_ids)
    for chunk in chunks(remaining, chunk_size):
        part = lookup(engine, books, chunk, max_in_flight)
        tally.add(part)
        if part.stopped:
            break
    close(engine, plan_, tally)
    if run is not None:
        record(run, tally)
    return plan_, tally
