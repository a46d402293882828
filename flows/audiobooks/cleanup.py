"""Task-record retention: the seed's daily `cleanup_old_tasks()`.

Task records older than `keep_days` go, a batch per transaction, so a year of
records left by a broken schedule never holds the database in one long delete.
Failed attempts are kept for good: they are the history of what went wrong with
which folder, feed item or book, and nothing here touches them.
"""

from __future__ import annotations

from sqlalchemy import Engine

from flows.audiobooks.jobs import Outcome
from flows.audiobooks.taskrecords import JobRun, cleanup, failed_attempt_count
from flows.common.params import require

KEEP_DAYS = 30


def cleanup_tasks(
    engine: Engine, run: JobRun, keep_days: float = KEEP_DAYS, batch_size: int = 500
) -> Outcome:
    """Delete task records that started more than `keep_days` ago; every deleted
    record counts as an item of the run."""
    # under a day, the cleanup would delete the record of the run doing it
    require(keep_days >= 1, f"keep_days must be at least 1, got {keep_days}")
    require(batch_size >= 1, f"batch_size must be at least 1, got {batch_size}")
    deleted = batches = 0
    for count in cleanup(engine, keep_days, batch_size):
        deleted += count
        batches += 1
        run.ok(count)
        run.log(f"batch {batches}: deleted {count} task record(s)")
    kept = failed_attempt_count(engine)
    summary = (
        f"deleted {deleted} task record(s) older than {keep_days:g} days "
        f"in {batches} batch(es); {kept} failed attempt(s) kept"
    )
    return Outcome(
        summary=summary,
        markdown=f"Retention: {keep_days:g} days, batches of {batch_size}.",
        data={"deleted": deleted, "batches": batches, "failed_attempts_kept": kept},
    )
