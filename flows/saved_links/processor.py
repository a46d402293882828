"""One link from claim to write-back, in plain Python.

The flow wraps `LinkProcessor.process` in a retried task; the benchmark's plain
loop calls the very same method, so both measure the same work.

Order of writes for one row, chosen so a crash at any line is redone without
downloading twice or writing a result twice:
claim (app DB) -> Processing (Notion) -> download (file renamed into place, then
archived) -> result (app DB) -> Done/Failed (Notion) -> release (app DB).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flows.common.errors import PermanentError
from flows.common.runs import RunStatus
from flows.saved_links.download import Downloader
from flows.saved_links.errors import LinkError
from flows.saved_links.notion_source import PROCESSING, LinkRow, NotionSource
from flows.saved_links.platforms import classify, validate_url
from flows.saved_links.records import LinkRecord, LinkStore, Media


@dataclass(frozen=True)
class Outcome:
    """What happened to one row; one line of the run's table artifact."""

    page_id: str
    url: str
    outcome: str  # done | failed | deferred (tried again next run) | skipped
    platform: str | None = None
    file: str | None = None
    bytes: int | None = None
    title: str | None = None
    error_class: str | None = None
    error: str | None = None
    fetched: bool = False

    def as_row(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "page_id"}


def select_rows(
    rows: list[LinkRow],
    records: Mapping[str, LinkRecord],
    runs: Mapping[str, RunStatus],
    now: datetime,
    timeout: timedelta,
    run_id: str,
    zombie_after: timedelta,
) -> tuple[list[LinkRow], set[str]]:
    """The rows this run may work on, and the dead holders whose claims it may take.

    Empty/New rows are always candidates (the claim itself settles races).
    A Processing row is one only if its holder is dead or is this run, or if no
    one holds it in the app DB and Notion has not touched it for `timeout`.
    """
    dead = reclaimable_runs(rows, records, runs, now, timeout, zombie_after)
    usable = []
    for row in rows:
        record = records.get(row.page_id)
        holder = record.claimed_by if record else None
        if (
            row.status != PROCESSING
            or (holder is None and now - row.last_edited > timeout)
            or holder in dead
            or holder == run_id
        ):
            usable.append(row)
    return usable, dead


def reclaimable_runs(
    rows: Iterable[LinkRow],
    records: Mapping[str, LinkRecord],
    runs: Mapping[str, RunStatus],
    now: datetime,
    timeout: timedelta,
    zombie_after: timedelta,
) -> set[str]:
    """Holders of Processing rows whose claims may be taken over.

    A holder whose Prefect run is final (crashed, cancelled, ...) is dead: its
    rows are free at once. So is a Running holder that sent no heartbeat for
    `zombie_after`: its host died and nobody told the server (this does not wait
    for the zombie automation, which a restart or an edit may have reset). A
    holder Prefect does not know (another server, a plain script) is presumed dead
    once its claim is older than `timeout`. A holder that is alive keeps its rows
    however old the claim: age alone never breaks a live lock.
    """
    dead: set[str] = set()
    for row in rows:
        record = records.get(row.page_id)
        if row.status != PROCESSING or record is None or record.claimed_by is None:
            continue
        holder = record.claimed_by
        run = runs.get(holder)
        expired = record.claimed_at is not None and now - record.claimed_at > timeout
        if run is None:
            if expired:
                dead.add(holder)
        elif run.is_final or run.is_zombie(now, zombie_after):
            dead.add(holder)
    return dead


class LinkProcessor:
    """Claims, downloads and writes back one row at a time for one run."""

    def __init__(self, source: NotionSource, store: LinkStore, downloader: Downloader, run_id: str):
        self.source = source
        self.store = store
        self.downloader = downloader
        self.run_id = run_id

    def process(self, row: LinkRow, reclaimable: Iterable[str] = ()) -> Outcome:
        """Claim and process `row`; raises `LinkError` (or a Notion/DB error) on failure.

        Idempotent for one run: a task retry re-claims its own row and the
        download archive turns a finished download into a lookup.
        """
        record = self.store.claim(row.page_id, row.url, self.run_id, reclaimable)
        if record is None:
            return Outcome(row.page_id, row.url, "skipped", error="held by a live run")
        if record.unsynced_result:
            return self._sync(row, record)
        url = validate_url(row.url)
        platform = classify(url)
        self.source.mark_processing(row.page_id)
        media, fetched = self.downloader.download(url, platform)
        self.store.record_result(row.page_id, platform=platform.value, media=media)
        self.source.mark_done(row.page_id, media)
        self.store.mark_synced(row.page_id)
        return _done(row, media, fetched)

    def settle_failure(self, row: LinkRow, exc: BaseException, max_runs: int) -> Outcome:
        """After the task's last retry: a permanent error fails the row; anything else
        leaves it for the next run, until `max_runs` runs in a row have given up on it."""
        finished = self._finished(row)
        if finished:
            return finished
        if isinstance(exc, PermanentError):
            return self._record_failure(row, exc)
        error_class, message = _error_text(exc)
        runs = self.store.defer(row.page_id, error_class, message)
        if runs >= max_runs:
            return self._record_failure(row, exc, note=f" (failed in {runs} runs)")
        self.source.mark_retry(row.page_id, error_class, f"{message} (run {runs} of {max_runs})")
        return Outcome(row.page_id, row.url, "deferred", error_class=error_class, error=message)

    def release(self, row: LinkRow) -> None:
        """The host failed, not the row: give it back as it was, New, for the next run."""
        self.store.release(row.page_id)
        self.source.mark_new(row.page_id)

    def fail(self, row: LinkRow, exc: BaseException) -> Outcome:
        """Record and write back a final failure, unless the row is in fact finished."""
        return self._finished(row) or self._record_failure(row, exc)

    def _finished(self, row: LinkRow) -> Outcome | None:
        """A row whose download is done but never reached Notion is written back as done:
        a Notion outage must not turn a finished download into a failure."""
        record = self.store.get(row.page_id)
        if record and record.unsynced_result and record.outcome == "done":
            return self._sync(row, record)
        return None

    def _record_failure(self, row: LinkRow, exc: BaseException, note: str = "") -> Outcome:
        error_class, message = _error_text(exc)
        message += note
        try:
            platform = classify(row.url).value
        except LinkError:
            platform = None
        self.store.record_result(
            row.page_id, platform=platform, error_class=error_class, error_message=message
        )
        self.source.mark_failed(row.page_id, error_class, message, platform)
        self.store.mark_synced(row.page_id)
        return Outcome(
            row.page_id, row.url, "failed", platform, error_class=error_class, error=message
        )

    def _sync(self, row: LinkRow, record: LinkRecord) -> Outcome:
        """A previous run recorded a result but crashed before Notion heard of it."""
        if record.outcome == "done":
            media = Media(
                record.media_key or "",
                record.file or "",
                record.bytes or 0,
                record.title or "",
                record.platform or "",
            )
            self.source.mark_done(row.page_id, media)
            self.store.mark_synced(row.page_id)
            return _done(row, media, fetched=False)
        error_class = record.error_class or "Error"
        message = record.error_message or ""
        self.source.mark_failed(row.page_id, error_class, message, record.platform)
        self.store.mark_synced(row.page_id)
        return Outcome(
            row.page_id, row.url, "failed", record.platform, error_class=error_class, error=message
        )


def _done(row: LinkRow, media: Media, fetched: bool) -> Outcome:
    return Outcome(
        row.page_id,
        row.url,
        "done",
        media.platform,
        media.file,
        media.bytes,
        media.title,
        fetched=fetched,
    )


def _error_text(exc: BaseException) -> tuple[str, str]:
    """What Notion's Error column shows: the error's class and its message (capped)."""
    error_class = exc.error_class if isinstance(exc, LinkError) else type(exc).__name__
    return error_class, str(exc)[:500] or error_class
