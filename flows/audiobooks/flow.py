"""The seven audiobook jobs as Prefect flows, one per deployment (prefect.yaml).

The seed's APScheduler jobs become deployments with cron schedules; its config
flags become Prefect Variables read when a run starts (`jobs.run_job`).

The Google Books jobs (metadata full, metadata new, author completion) look books up
in tasks of CHUNK_SIZE books whose Prefect retries back off on a per-minute 429, a 5xx
or a dropped connection (TransientError only): a daily-quota 429 (QuotaExhausted) and
a bad key (ConfigError) are never retried. A chunk's retry asks only for what its
earlier attempt did not get, since every answer is cached as it arrives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.filesystems import LocalFileSystem
from prefect.states import State
from pydantic import Field
from sqlalchemy import Engine

from blocks.audiobooks import CatalogueFeed, DownloadClient, GoogleBooks
from flows.audiobooks import (
    CATALOGUE_BLOCK,
    DOWNLOAD_CLIENT_BLOCK,
    GOOGLE_BOOKS_BLOCK,
    LIBRARY_BLOCK,
    authors,
    metadata,
)
from flows.audiobooks.cleanup import cleanup_tasks
from flows.audiobooks.googlebooks import Books, connect
from flows.audiobooks.jobs import DOWNLOADS, Outcome, enabled, flag_name, run_job
from flows.audiobooks.library_import import ImportReport, import_library
from flows.audiobooks.merge import book_rows
from flows.audiobooks.metadata import Tally
from flows.audiobooks.quota import QuotaExhausted
from flows.audiobooks.series import complete_series
from flows.audiobooks.source_sync import sync_listings
from flows.audiobooks.taskrecords import JobRun
from flows.audiobooks.top10 import sync_top10
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
        retries=retries,
        retry_delay_seconds=retry_delay_seconds,
        max_retry_delay_seconds=max_retry_delay_seconds,
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
        retries=retries,
        retry_delay_seconds=retry_delay_seconds,
        max_retry_delay_seconds=max_retry_delay_seconds,
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


# --- the four jobs around the library and the catalogue ------------------------------

# Local folders and the catalogue: a dropped connection is tried again after 30, 60,
# 120 s; a malformed feed or a refused login fails at once.
FEED_RETRIES = {**retry_policy(retries=3, first_delay=30.0, cap=300.0), "cache_policy": NO_CACHE}


def _library_root(block_name: str) -> Path | None:
    """The library folder, or None when no library block is saved (import skipped)."""
    try:
        block = LocalFileSystem.load(block_name)
    except ValueError:
        return None
    return Path(block.basepath).expanduser() if block.basepath else None


@task(name="import-library", cache_policy=NO_CACHE)
def import_library_task(engine: Engine, root: Path, run: JobRun) -> ImportReport:
    return import_library(engine, root, run)


@task(name="pull-listings", **FEED_RETRIES)
def pull_listings(engine: Engine, block: CatalogueFeed, run: JobRun) -> Outcome:
    return sync_listings(engine, block, run)


@flow(name="audiobook-source-sync", persist_result=True, timeout_seconds=3600)
def audiobook_source_sync(
    library_block: str = LIBRARY_BLOCK,
    catalogue_block: str = CATALOGUE_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Import the library folder, then pull the catalogue's new listings.

    Args:
        library_block: the LocalFileSystem block whose basepath is the library
            (Author/Series/Title folders); without it the import is skipped.
        catalogue_block: the catalogue feed.
    """
    engine = app_engine(app_db_block)

    def body(run: JobRun) -> Outcome:
        root = _library_root(library_block)
        if root is None:
            imported = f"no {library_block!r} block: library not imported"
            get_run_logger().info(imported)
        else:
            imported = import_library_task(engine, root, run).summary
        listings = pull_listings(engine, CatalogueFeed.load(catalogue_block), run)
        return Outcome(f"{imported}; {listings.summary}", listings.markdown, listings.data)

    return run_job("source-sync", engine, body)


@task(name="pull-top10", **FEED_RETRIES)
def pull_top10(
    engine: Engine, block: CatalogueFeed, run: JobRun, genres: list[str] | None
) -> Outcome:
    return sync_top10(engine, block, run, genres=genres or None)


@flow(name="audiobook-top10", persist_result=True, timeout_seconds=3600)
def audiobook_top10(
    genres: list[str] | None = None,
    catalogue_block: str = CATALOGUE_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """The top-10 of every enabled genre; titles not owned become wanted.

    Args:
        genres: the genres to pull (default: the catalogue block's genres).
    """
    engine = app_engine(app_db_block)
    return run_job(
        "top10",
        engine,
        lambda run: pull_top10(engine, CatalogueFeed.load(catalogue_block), run, genres),
    )


@task(name="complete-series", **FEED_RETRIES)
def complete_series_task(
    engine: Engine, client: DownloadClient | None, client_block: str, run: JobRun
) -> Outcome:
    return complete_series(
        engine, client, run, hand_off=client is not None, client_name=client_block
    )


@flow(name="audiobook-series-completion", persist_result=True, timeout_seconds=3600)
def audiobook_series_completion(
    download_client_block: str = DOWNLOAD_CLIENT_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Missing positions of every series become wanted; with the variable
    `audiobook_downloads_enabled` true, those the catalogue lists are handed to the
    download client."""
    engine = app_engine(app_db_block)

    def body(run: JobRun) -> Outcome:
        client = None
        if enabled(DOWNLOADS, default=False):
            client = DownloadClient.load(download_client_block)
        else:
            run.log(f"hand-off off: variable {flag_name(DOWNLOADS)} is not true")
        return complete_series_task(engine, client, download_client_block, run)

    return run_job("series-completion", engine, body)


@flow(name="audiobook-task-cleanup", persist_result=True, timeout_seconds=1800)
def audiobook_task_cleanup(
    keep_days: Annotated[float, Field(ge=1)] = 30,
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500,
    app_db_block: str = APP_DB_BLOCK,
) -> State:
    """Delete task records older than `keep_days`, in batches; failed attempts stay.

    Args:
        keep_days: task records younger than this are kept (at least 1).
        batch_size: records deleted per transaction.
    """
    engine = app_engine(app_db_block)
    return run_job(
        "task-cleanup",
        engine,
        lambda run: cleanup_tasks(engine, run, keep_days=keep_days, batch_size=batch_size),
    )
