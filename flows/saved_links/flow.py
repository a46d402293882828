"""The saved-links flow: Notion rows in, files under data/links/, results back.

Deployment `saved-links/three-times-daily` (prefect.yaml) runs it at 08:00,
12:00 and 23:00 with concurrency 1 / CANCEL_NEW, which replaces the seed's lock
file and its "ran less than 4 hours ago" skip.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from prefect.states import Completed, State
from pydantic import Field

from blocks.notion import NotionLinksSource
from flows.common import settings
from flows.common.artifacts import Progress
from flows.common.db import APP_DB_BLOCK, app_engine
from flows.common.errors import MachineError
from flows.common.params import NonNegative, Positive, PositiveInt, require
from flows.common.paths import data_dir
from flows.common.retry import retry_policy
from flows.common.runs import read_runs
from flows.common.times import utcnow
from flows.saved_links import SOURCE_BLOCK
from flows.saved_links.download import Downloader
from flows.saved_links.errors import TimedOut
from flows.saved_links.notion_source import PROCESSING, LinkRow, NotionSource
from flows.saved_links.processor import LinkProcessor, Outcome, select_rows
from flows.saved_links.records import LinkStore, MediaStore
from flows.saved_links.schedule import time_of_day


def run_name() -> str:
    """e.g. `morning-2026-11-23`: the seed's --scheduled label, now in run history."""
    tz = flow_run.parameters.get("timezone", "UTC")
    when = flow_run.scheduled_start_time
    return f"{time_of_day(when, tz)}-{when.astimezone(ZoneInfo(tz)):%Y-%m-%d}"


# Every task: 3 retries, exponential backoff with jitter; dead links, bad URLs and
# a misconfigured source are permanent errors and fail at once. No result caching:
# work is made idempotent by the app database (claims, recorded results, the
# download archive), which holds across runs and hosts.
RETRIED = {**retry_policy(first_delay=5), "cache_policy": NO_CACHE}


@task(name="open-links-source", **RETRIED)
def open_source(block_name: str) -> NotionSource:
    """Load the block and check it against the database before anything is claimed."""
    return NotionSource(NotionLinksSource.load(block_name), block_name).open()


@task(name="find-unprocessed-links", **RETRIED)
def find_links(
    source: NotionSource,
    store: LinkStore,
    claim_timeout: timedelta,
    run_id: str,
    zombie_after: timedelta,
) -> tuple[list[LinkRow], set[str]]:
    """Rows to work on, oldest first, and the dead holders whose claims may be taken."""
    rows = source.candidates()
    records = store.claims(r.page_id for r in rows if r.status == PROCESSING)
    holders = {r.claimed_by for r in records.values() if r.claimed_by}
    now = utcnow()
    with get_client(sync_client=True) as client:
        runs = read_runs(client, holders, now, zombie_after)
    return select_rows(rows, records, runs, now, claim_timeout, run_id, zombie_after)


@task(name="process-link", task_run_name="{row.url}", **RETRIED)
def process_link(processor: LinkProcessor, row: LinkRow, reclaimable: set[str]) -> Outcome:
    return processor.process(row, reclaimable)


@task(name="record-failure", **RETRIED)
def record_failure(
    processor: LinkProcessor, row: LinkRow, error: BaseException, max_runs: int
) -> Outcome:
    return processor.settle_failure(row, error, max_runs)


# The hard ceiling of a run: the shortest gap between two of the seed's slots (08:00
# to 12:00). `max_run_minutes` stops taking new rows well before it.
RUN_TIMEOUT_SECONDS = 4 * 3600


@flow(
    name="saved-links",
    flow_run_name=run_name,
    persist_result=True,
    timeout_seconds=RUN_TIMEOUT_SECONDS,
)
def saved_links(
    limit: Annotated[int, Field(ge=0)] | None = None,
    pause_seconds: NonNegative = 900.0,
    timezone: str = "UTC",
    source_block: str = SOURCE_BLOCK,
    app_db_block: str = APP_DB_BLOCK,
    claim_timeout_minutes: Positive = 60.0,
    retry_backoff_seconds: Positive = 10.0,
    item_timeout_seconds: Positive = 900.0,
    max_run_minutes: Positive = 210.0,
    max_transient_runs: PositiveInt = 3,
) -> State:
    """Download every unprocessed saved link and write Done/Failed back to Notion.

    Args:
        limit: process at most this many rows in this run (all when empty).
        pause_seconds: wait between items, as the seed's politeness pause; the
            wait sleeps in the flow-run process, so the worker stays free.
        timezone: the schedule's zone, which names the run morning/noon/night.
        claim_timeout_minutes: after this, a Processing row whose holder Prefect
            does not know is taken over (holders still running never are).
        retry_backoff_seconds: first delay of the exponential task retries.
        item_timeout_seconds: one attempt at one link may take this long, however
            slowly a host trickles its bytes; then it is retried like a network error.
        max_run_minutes: start no new row after this; the rest waits for the next run.
        max_transient_runs: a row that still fails transiently after its retries is
            tried again by the next run, and Failed after this many runs.
    """
    require(
        max_run_minutes * 60 + item_timeout_seconds <= RUN_TIMEOUT_SECONDS,
        "parameters max_run_minutes and item_timeout_seconds: together at most "
        f"{RUN_TIMEOUT_SECONDS // 60} minutes (the run's timeout), got {max_run_minutes} "
        f"minutes and {item_timeout_seconds} s",
    )
    logger = get_run_logger()
    stop_at = time.monotonic() + max_run_minutes * 60
    policy, zombie_after = settings.outbound_policy(), settings.zombie_after()
    source = open_source(source_block)
    engine = app_engine(app_db_block)
    store = LinkStore(engine)
    run_id = str(flow_run.id or uuid.uuid4())
    claim_timeout = timedelta(minutes=claim_timeout_minutes)
    rows, dead = find_links(source, store, claim_timeout, run_id, zombie_after)
    batch = rows if limit is None else rows[:limit]
    logger.info("%d link(s) waiting; processing %d", len(rows), len(batch))

    # A socket read never outlasts the item's deadline: the task's timeout can only
    # interrupt the download between two reads.
    socket_timeout = min(30.0, item_timeout_seconds)
    downloader = Downloader(data_dir(), MediaStore(engine), policy, socket_timeout)
    processor = LinkProcessor(source, store, downloader, run_id)
    process = process_link.with_options(
        timeout_seconds=item_timeout_seconds, **retry_policy(first_delay=retry_backoff_seconds)
    )
    progress = Progress(len(batch), "Saved links processed in this run")
    outcomes: list[Outcome] = []
    for i, row in enumerate(batch):
        if time.monotonic() > stop_at:
            logger.info("max_run_minutes reached: %d row(s) left for the next run", len(batch) - i)
            break
        state = process(processor, row, dead, return_state=True)
        if state.is_completed():
            outcome = state.result()
        else:
            outcome = _settle(processor, row, state, max_transient_runs, item_timeout_seconds)
        outcomes.append(outcome)
        progress.advance()
        if pause_seconds > 0 and i < len(batch) - 1:
            time.sleep(min(pause_seconds, max(0.0, stop_at - time.monotonic())))

    create_table_artifact(
        key="saved-links-run",
        table=[o.as_row() for o in outcomes],
        description=f"Saved links of run {run_id}",
    )
    counts = {
        "found": len(rows),
        "processed": len(outcomes),
        **{
            k: sum(o.outcome == k for o in outcomes)
            for k in ("done", "failed", "deferred", "skipped")
        },
        "downloaded": sum(o.fetched for o in outcomes),
    }
    logger.info("saved links: %s", counts)
    return Completed(message=summary(counts), data=counts)


def summary(counts: dict[str, int]) -> str:
    """One line for the run's state: `8 links: 3 done, 5 failed`."""
    text = f"{counts['processed']} links: {counts['done']} done, {counts['failed']} failed"
    for key, words in (("deferred", "to try again next run"), ("skipped", "skipped")):
        if counts.get(key):
            text += f", {counts[key]} {words}"
    if counts["found"] > counts["processed"]:
        text += f"; {counts['found'] - counts['processed']} left for the next run"
    return text


def _settle(
    processor: LinkProcessor, row: LinkRow, state: State, max_runs: int, item_timeout: float
) -> Outcome:
    """A row whose task failed for good: the host's fault fails the run; otherwise the
    row is failed or left for the next run, and if even that write fails, it is left
    as it is for the next run to finish."""
    error = state.result(raise_on_failure=False)
    if not isinstance(error, BaseException):
        error = RuntimeError(state.message or "the task failed without an exception")
    if isinstance(error, TimeoutError):
        error = TimedOut(f"no result within item_timeout_seconds ({item_timeout:g} s)")
    if isinstance(error, MachineError):
        processor.release(row)
        raise error
    settled = record_failure(processor, row, error, max_runs, return_state=True)
    if settled.is_completed():
        return settled.result()
    return Outcome(
        row.page_id,
        row.url,
        "failed",
        error_class=type(error).__name__,
        error=f"{error} (not yet written back: {settled.message})",
    )


if __name__ == "__main__":
    saved_links(pause_seconds=0)
