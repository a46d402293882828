"""The audiobook flows of the Google Books jobs: metadata full, metadata new, author
completion.

Each body runs under `jobs.run_job` (feature flag Variable + task record). Lookups run
in tasks of CHUNK_SIZE books whose Prefect retries back off on a per-minute 429, a 5xx
or a dropped connection (TransientError only): a daily-quota 429 (QuotaExhausted) and
a bad key (ConfigError) are never retried. A chunk's retry asks only for what its
earlier attempt did not get, since every answer is cached as it arrives.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from sqlalchemy import Engine

from blocks.audiobooks import GoogleBooks
from flows.audiobooks import GOOGLE_BOOKS_BLOCK, authors, metadata
from flows.audiobooks.googlebooks import Books, connect
from flows.audiobooks.jobs import Outcome, run_job
from flows.audiobooks.merge import book_rows
from flows.audiobooks.metadata import Tally
from flows.audiobooks.quota import QuotaExhausted
from flows.audiobooks.taskrecords import JobRun
from flows.common.artifacts import markdown_table
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.errors import ConfigError, TransientError
from flows.common.params import Positive, PositiveInt
from flows.common.retry import retry_policy
from flows.common.times import as_utc

RETRIES = {"retries": 4, "first_delay": 30.0, "cap": 600.0}
METADATA_TIMEOUT_SECONDS = 6 * 3600  # 1,000 requests a day: the budget ends a run first
AUTHORS_TIMEOUT_SECONDS = 4 * 3600


def _table(rows: list[dict[str, Any]]) -> str:
    return markdown_table(list(rows[0]), [list(r.values()) for r in rows])


def transient_only(task: Any, task_run: TaskRun, state: State) -> bool:
    """Retry a rate limit or an outage; a spent day or a wrong block never."""
    return isinstance(state.data, TransientError)


def lookup_policy(retries: int, first_delay: float, cap: float) -> dict[str, Any]:
    return {
        **retry_policy(retries=retries, first_delay=first_delay, cap=cap),
        "retry_condition_fn": transient_only,
    }


@task(name="google-books-lookups", cache_policy=NO_CACHE, **lookup_policy(**RETRIES))
def lookup_books(engine: Engine, books: Books, book_ids: list[int], max_in_flight: int) -> Tally:
    """A chunk of books: cached answers in bulk, the rest asked, `max_in_flight` at once."""
    tally = metadata.lookup(engine, books, book_ids, max_in_flight)
    if tally.transient:
        count, first = len(tally.transient), tally.transient[0][1]
        raise TransientError(f"{count} of {len(book_ids)} lookup(s) to retry; first: {first}")
    return tally


def _failed_chunk(engine: Engine, plan: metadata.Plan, ids: list[int], error: str) -> Tally:
    """A chunk whose retries ran out: its books not checked yet are failed attempts."""
    tally = Tally()
    with engine.connect() as conn:
        rows = book_rows(conn, ids)
    for book_id in ids:
        checked = as_utc(rows.get(book_id, {}).get("metadata_checked_at"))
        if checked is not None and checked >= plan.started_at:
            tally.done.append(book_id)
        else:
            tally.failures.append((metadata.item_name(rows.get(book_id, {"id": book_id})), error))
    return tally


def _refresh(
    job: str,
    google_books_block: str,
    app_db_block: str,
    retry_delay_seconds: float,
    max_retry_delay_seconds: float,
    retries: int,
) -> State:
    engine = app_engine(app_db_block)

    def body(run: JobRun) -> Outcome:
        block = GoogleBooks.load(google_books_block)
        books = connect(block, google_books_block, engine)
        logger = get_run_logger()
        plan = metadata.plan(engine, job)
        logger.info(
            "%s: cycle %s %s, %d book(s) to check",
            job,
            plan.cycle_id,
            "continued" if plan.resumed else "started",
            len(plan.book_ids),
        )
        total, remaining = metadata.resolve_cached(engine, books, plan.book_ids)
        metadata.record(run, total)
        task_ = lookup_books.with_options(
            **lookup_policy(retries, retry_delay_seconds, max_retry_delay_seconds)
        )
        for chunk in metadata.chunks(remaining):
            state = task_.with_options(task_run_name=f"books {chunk[0]}..{chunk[-1]}")(
                engine, books, chunk, block.max_in_flight, return_state=True
            )
            if state.is_completed():
                part = state.result()
            else:
                error = state.result(raise_on_failure=False)
                if not isinstance(error, TransientError):
                    raise error if isinstance(error, BaseException) else RuntimeError(str(error))
                part = _failed_chunk(engine, plan, chunk, str(error))
            metadata.record(run, part)
            total.add(part)
            if part.stopped:
                break
        stopped_at = metadata.close(engine, plan, total)
        summary = total.summary()
        if stopped_at is not None:
            summary += f"; continues next run from book {stopped_at}"
        return Outcome(summary, _refresh_markdown(total), _refresh_data(plan, total, stopped_at))

    return run_job(job, engine, body)


def _refresh_markdown(tally: Tally) -> str:
    parts = []
    if tally.reviewed:
        rows = [
            {"book": b, "volume": v, "score": round(s), "why": r} for b, v, s, r in tally.reviewed
        ]
        parts.append(
            "### Sent to review (nothing written)\n\n"
            + _table(rows)
            + "\n\nApply or reject with the review command."
        )
    changed = [{"book": b, "fields": ", ".join(f)} for b, f in tally.applied.items() if f]
    if changed:
        parts.append("### Changed\n\n" + _table(changed[:200]))
    return "\n\n".join(parts)


def _refresh_data(plan: metadata.Plan, tally: Tally, stopped_at: int | None) -> dict[str, Any]:
    return {
        "cycle_id": plan.cycle_id,
        "resumed": plan.resumed,
        "checked": len(tally.done),
        "exact": tally.exact,
        "matched": tally.matched,
        "review": len(tally.reviewed),
        "unmatched": tally.unmatched,
        "changed": sum(1 for f in tally.applied.values() if f),
        "requests": tally.requests,
        "cached": tally.cached,
        "failed": len(tally.failures) + len(tally.transient),
        "stopped": tally.stopped,
        "stopped_at_book": stopped_at,
    }


@flow(name="audiobook-metadata-full", persist_result=True, timeout_seconds=METADATA_TIMEOUT_SECONDS)
def audiobook_metadata_full(
    google_books_block: str = GOOGLE_BOOKS_BLOCK,
    retries: PositiveInt = 4,
    retry_delay_seconds: Positive = 30.0,
    max_retry_delay_seconds: Positive = 600.0,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Refresh every book from Google Books, continuing the last cycle if the quota
    stopped it.

    Args:
        google_books_block: the Google Books block (key, endpoint, budget, cache days).
        retries: retries of a chunk of lookups after a 429 per minute or a 5xx.
        retry_delay_seconds: first delay of those retries (doubling) ...
        max_retry_delay_seconds: ... up to this.
    """
    return _refresh(
        "metadata-full",
        google_books_block,
        app_db_block,
        retry_delay_seconds,
        max_retry_delay_seconds,
        retries,
    )


@flow(name="audiobook-metadata-new", persist_result=True, timeout_seconds=METADATA_TIMEOUT_SECONDS)
def audiobook_metadata_new(
    google_books_block: str = GOOGLE_BOOKS_BLOCK,
    retries: PositiveInt = 4,
    retry_delay_seconds: Positive = 30.0,
    max_retry_delay_seconds: Positive = 600.0,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Refresh the books added in the last 7 days or never refreshed (arguments as
    audiobook-metadata-full's)."""
    return _refresh(
        "metadata-new",
        google_books_block,
        app_db_block,
        retry_delay_seconds,
        max_retry_delay_seconds,
        retries,
    )


@task(name="complete-author", cache_policy=NO_CACHE, **lookup_policy(**RETRIES))
def complete_author(engine: Engine, books: Books, plan: authors.AuthorPlan) -> authors.AuthorReport:
    return authors.complete_author(engine, books, plan)


@flow(
    name="audiobook-author-completion", persist_result=True, timeout_seconds=AUTHORS_TIMEOUT_SECONDS
)
def audiobook_author_completion(
    languages: list[str] | None = None,
    google_books_block: str = GOOGLE_BOOKS_BLOCK,
    retries: PositiveInt = 4,
    retry_delay_seconds: Positive = 30.0,
    max_retry_delay_seconds: Positive = 600.0,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Add the other books of every owned book's author as wanted.

    Args:
        languages: only books in these languages ("en", "de"...); by default the
            languages of each author's owned books.
        retries, retry_delay_seconds, max_retry_delay_seconds: as the refresh's.
    """
    engine = app_engine(app_db_block)

    def body(run: JobRun) -> Outcome:
        block = GoogleBooks.load(google_books_block)
        books = connect(block, google_books_block, engine)
        task_ = complete_author.with_options(
            **lookup_policy(retries, retry_delay_seconds, max_retry_delay_seconds)
        )
        rows, stopped = [], None
        for plan in authors.authors_to_complete(engine, languages):
            state = task_.with_options(task_run_name=plan.name)(
                engine, books, plan, return_state=True
            )
            if state.is_completed():
                report = state.result()
                run.ok()
                rows.append(
                    {
                        "author": plan.name,
                        "languages": ", ".join(plan.languages) or "any",
                        "added": len(report.added),
                        "titles": "; ".join(report.added[:20]),
                    }
                )
                continue
            error = state.result(raise_on_failure=False)
            if isinstance(error, ConfigError):
                raise error
            if isinstance(error, QuotaExhausted):
                stopped = str(error)
                run.log(f"stopped at {plan.name}: {error}")
                break
            run.failure(
                f"author {plan.name}", error if isinstance(error, BaseException) else str(error)
            )
        added = sum(r["added"] for r in rows)
        summary = f"{added} wanted book(s) added for {len(rows)} author(s)"
        if stopped:
            summary += f"; stopped: {stopped}"
        markdown = _table(rows) if rows else ""
        return Outcome(summary, markdown, {"added": added, "authors": rows, "stopped": stopped})

    return run_job("author-completion", engine, body)
