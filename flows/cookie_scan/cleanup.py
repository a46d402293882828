"""History retention: the seed's `cleanup_old_executions(days=90)`, for scans too.

Job executions and scan results (a scan and its phases, cookies and hosts, and the
phases' screenshot files) that started more than `keep_days` ago go, one batch per
transaction, so years of history never hold the database in one long delete.

Re-runnable after a crash at any line: a batch's screenshot files are deleted
before its rows, so a crash in between leaves rows whose files are already gone
(the next run deletes the rows; a missing file is not an error), never files that
no row names any more. Files are deleted only inside `<data dir>/scans`, through no
symlink (`flows.common.safefs`).

Before deleting, rows still `running` after the scan flow's timeout are marked
`crashed` (see `executions`): their runs died, and a domain that is never scanned
again would otherwise keep one forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select

from flows.common.db import delete_before, oldest_before
from flows.common.params import require
from flows.common.paths import data_dir
from flows.common.safefs import Containment, Plan, Root
from flows.common.times import utcnow
from flows.cookie_scan.executions import close_stale_runs
from flows.cookie_scan.tables import (
    cookie_job_executions,
    cookie_scan_cookies,
    cookie_scan_hosts,
    cookie_scan_phases,
    cookie_scans,
)

KEEP_DAYS = 90
SHOTS = "scans"  # below the data directory: scans/<domain_config_id>/...
# A folder this deep below the data directory (scans/<domain>/<scan>) is removed when the
# retention empties it; `scans/<domain>` stays, a scan may be about to write into it.
MIN_DIR_DEPTH = 3


def shots_dir(domain_config_id: str, base: Path | None = None) -> Path:
    """Where one domain's scans keep their banner screenshots."""
    return (base or data_dir()) / SHOTS / domain_config_id


@dataclass
class CleanupReport:
    keep_days: float
    crashed: int = 0
    executions: int = 0
    scans: int = 0
    files: int = 0
    batches: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why) kept

    @property
    def summary(self) -> str:
        text = (
            f"deleted {self.executions} execution(s), {self.scans} scan(s), "
            f"{self.files} screenshot(s) older than {self.keep_days:g} days"
        )
        if self.crashed:
            text += f"; {self.crashed} dead run(s) marked crashed"
        if self.failed:
            text += f"; {len(self.failed)} file(s) could not be deleted"
        return text


def _relative(path: str | None, base: Path) -> str | None:
    """A stored screenshot path as a '/'-path relative to the data directory."""
    if not path:
        return None
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(base)
        except ValueError:
            return None  # outside the data directory: never ours to delete
    return p.as_posix()


def _delete_executions(engine: Engine, cutoff, batch_size: int) -> Iterator[int]:
    e = cookie_job_executions.c
    return delete_before(engine, e.execution_id, e.started_at, cutoff, batch_size)


def _delete_scan_batch(
    engine: Engine, cutoff, batch_size: int, base: Path, report: CleanupReport
) -> int:
    """One batch of old scans: their files, then their rows in one transaction; the
    number of scans deleted (0: nothing left, or nothing of the batch could go)."""
    with engine.connect() as conn:
        s = cookie_scans.c
        ids = oldest_before(conn, s.scan_id, s.started_at, cutoff, batch_size)
        if not ids:
            return 0
        shots = conn.execute(
            select(cookie_scan_phases.c.scan_id, cookie_scan_phases.c.screenshot_path).where(
                cookie_scan_phases.c.scan_id.in_(ids)
            )
        ).all()
    root = Root(base, SHOTS)
    inside = Containment(root)
    owners: dict[str, set[str]] = {}
    for scan_id, path in shots:
        rel = _relative(path, base)
        if rel and inside(rel):
            owners.setdefault(rel, set()).add(scan_id)
    present = [(rel, 0) for rel in sorted(owners) if os.path.lexists(base / rel)]
    dirs = sorted(
        {rel.rpartition("/")[0] for rel, _ in present if rel.count("/") >= MIN_DIR_DEPTH},
        key=lambda d: -d.count("/"),
    )
    done = Plan(root, present, dirs).execute()
    report.files += done.files_deleted
    report.failed += done.failed
    # a scan whose file could not be deleted keeps its rows: the next run tries again
    stuck = {scan_id for rel in done.kept for scan_id in owners.get(rel, ())}
    gone = [i for i in ids if i not in stuck]
    if gone:
        with engine.begin() as conn:
            for table in (cookie_scan_cookies, cookie_scan_hosts, cookie_scan_phases):
                conn.execute(delete(table).where(table.c.scan_id.in_(gone)))
            conn.execute(delete(cookie_scans).where(cookie_scans.c.scan_id.in_(gone)))
    report.scans += len(gone)
    return len(gone)


def cleanup_history(
    engine: Engine,
    keep_days: float = KEEP_DAYS,
    batch_size: int = 500,
    stale_after: timedelta | None = None,
    base: Path | None = None,
) -> CleanupReport:
    """Delete executions and scans that started more than `keep_days` ago.

    `stale_after`: a row still `running` after this long is marked crashed first
    (the scan flow's timeout and a margin); None leaves such rows alone.
    """
    # under a day, the cleanup could delete the record of a scan running right now
    require(keep_days >= 1, f"keep_days must be at least 1, got {keep_days}")
    require(batch_size >= 1, f"batch_size must be at least 1, got {batch_size}")
    base = base or data_dir()
    report = CleanupReport(keep_days=keep_days)
    if stale_after is not None:
        report.crashed = close_stale_runs(engine, stale_after)
    cutoff = utcnow() - timedelta(days=keep_days)
    for count in _delete_executions(engine, cutoff, batch_size):
        report.executions += count
        report.batches += 1
    while _delete_scan_batch(engine, cutoff, batch_size, base, report):
        report.batches += 1
    return report
