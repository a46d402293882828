"""Camera image retention: the archive is pruned by age, by orphan files, and under disk pressure.

Plain Python with no Prefect in it, so the flow stays a thin wrapper and the rules can be
tested and timed on their own. This module decides what goes; `flows.common.safefs`
deletes it (no-follow walks and unlinks, contained paths, the share guard, dry runs).

Why it is planned the way it is:

* The archive grows by 144 images per stream per day, so a run touches tens of
  thousands of files. Everything is planned from one query (all indexed paths) and one
  walk, in which only unindexed files are `stat`-ed (their age is all we know about
  them), and rows are deleted in chunks, so the run costs about what
  `find -mtime +30 -delete` costs.
* Nothing is deleted until the whole run is planned (orphans and pressure included), so
  the share guard sees the whole plan: a clock far in the future or the data directory
  pointing at the wrong mount would make most of the archive look expired or orphaned.
* An indexed path is trusted only if it is a plain path inside the images folder through
  no symlink, and a row goes only once its file is gone.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import Engine, delete, func, select

from flows.camera.records import camera_images, camera_rejects
from flows.common.artifacts import markdown_table
from flows.common.params import NonNegative, ParameterError, Percent, Share
from flows.common.safefs import (
    Containment,
    DeletionRefused,
    Plan,
    Root,
    Tree,
    emptied_dirs,
    guard_share,
    walk,
)
from flows.common.times import as_utc

IMAGES = "images"  # the images root, relative to the data directory (and first part of `path`)
ROW_CHUNK = 900  # ids per DELETE: under SQLite's historic 999 bound-parameter limit
EMPTIED_MIN_DEPTH = 2  # emptied year, month and day folders go; stream folders stay


class DiskUsage(Protocol):
    """What `shutil.disk_usage` returns; tests pass a namedtuple, since no test can fill a disk."""

    @property
    def total(self) -> int: ...
    @property
    def free(self) -> int: ...


@dataclass(frozen=True)
class CleanupPolicy:
    """What a run may delete; the defaults are safe for a scheduled run.

    The limits are the fields' types, checked by `validate()` rather than on
    construction, so building a policy from raw parameters never raises and a bad
    value is refused where callers look for it, before anything is read.
    """

    retention_days: Annotated[float, Field(ge=1)] = 30
    dry_run: bool = False
    max_delete_share: Share = 0.25  # of all images (indexed rows + unindexed files) per run
    force: bool = False  # allow deleting more than max_delete_share
    # disk-pressure mode is off when None; 100% free is never reached, so it is refused
    min_free_percent: Annotated[Percent, Field(lt=100)] | None = None
    pressure_min_age_days: NonNegative = 1.0  # pressure mode never deletes younger images

    def validate(self) -> None:
        """Raise `ParameterError` naming every field outside its limits (NaN included)."""
        try:
            _POLICY_LIMITS.validate_python(vars(self))
        except ValidationError as exc:
            raise ParameterError(
                "; ".join(f"{e['loc'][0]}: {e['msg']}, not {e['input']!r}" for e in exc.errors())
            ) from None


_POLICY_LIMITS = TypeAdapter(CleanupPolicy)  # built once: building one takes milliseconds


@dataclass
class CleanupReport:
    """Everything a run decided and did; in a dry run the deletion counts are the plan."""

    dry_run: bool
    cutoff: datetime
    images_total: int = 0  # indexed rows + unindexed files: the share guard's denominator
    indexed_rows: int = 0
    unindexed_files: int = 0
    expired_rows: int = 0  # rows past retention, with or without their file
    missing_files: int = 0  # of those, rows whose file was already gone
    orphan_files: int = 0  # unindexed files past retention
    pressure_rows: int = 0  # younger rows chosen to reach min_free_percent
    planned_deletions: int = 0  # rows + orphan files the plan deletes
    delete_share: float = 0.0  # planned_deletions / images_total
    files_deleted: int = 0
    bytes_freed: int = 0
    rows_deleted: int = 0
    rejects_deleted: int = 0
    dirs_removed: int = 0
    skipped: list[str] = field(default_factory=list)  # left alone on purpose (symlinks, escapes)
    errors: list[str] = field(default_factory=list)  # could not be done; rows are kept
    free_percent_before: float | None = None
    free_percent_after: float | None = None  # estimated from the indexed sizes

    def summary(self) -> dict[str, Any]:
        """Scalars only, for logs and a flow's return value."""
        return {
            "dry_run": self.dry_run,
            "cutoff": self.cutoff.isoformat(),
            "images_total": self.images_total,
            "indexed_rows": self.indexed_rows,
            "unindexed_files": self.unindexed_files,
            "expired_rows": self.expired_rows,
            "missing_files": self.missing_files,
            "orphan_files": self.orphan_files,
            "pressure_rows": self.pressure_rows,
            "planned_deletions": self.planned_deletions,
            "delete_share": round(self.delete_share, 4),
            "files_deleted": self.files_deleted,
            "bytes_freed": self.bytes_freed,
            "rows_deleted": self.rows_deleted,
            "rejects_deleted": self.rejects_deleted,
            "dirs_removed": self.dirs_removed,
            "skipped": len(self.skipped),
            "errors": len(self.errors),
            "free_percent_before": _round(self.free_percent_before),
            "free_percent_after": _round(self.free_percent_after),
        }

    def as_rows(self) -> list[dict[str, str]]:
        """One row per measure, for a table artifact (the lists are counted, not listed)."""
        return [{"measure": k, "value": str(v)} for k, v in self.summary().items()]

    def headline(self) -> str:
        """One line: what went (or would go), and what the archive keeps."""
        verb = "would delete" if self.dry_run else "deleted"
        kept = self.images_total - self.planned_deletions
        return (
            f"{verb} {self.files_deleted} file(s), {self.rows_deleted} row(s), "
            f"{_human(self.bytes_freed)}; {kept} image(s) kept"
        )

    def as_markdown(self, max_items: int = 50) -> str:
        """The summary table plus the first skipped and failed items, for a markdown artifact."""
        lines = [
            f"## Camera cleanup{' (dry run)' if self.dry_run else ''}",
            "",
            f"{self.headline()[0].upper()}{self.headline()[1:]}; cutoff {self.cutoff.isoformat()}.",
            "",
            markdown_table(
                ["measure", "value"], [(r["measure"], r["value"]) for r in self.as_rows()]
            ),
        ]
        for title, items in (("Errors", self.errors), ("Skipped", self.skipped)):
            if items:
                lines += ["", f"### {title} ({len(items)})", ""]
                lines += [f"- `{item}`" for item in items[:max_items]]
                if len(items) > max_items:
                    lines.append(f"- ... and {len(items) - max_items} more")
        return "\n".join(lines) + "\n"


class CleanupRefused(DeletionRefused):
    """The plan would delete too large a share of the archive; nothing was deleted."""

    def __init__(self, report: CleanupReport, max_delete_share: float):
        self.report = report
        super().__init__(
            report.planned_deletions,
            report.images_total,
            max_delete_share,
            what="images",
            detail=f"{report.expired_rows} expired rows, {report.orphan_files} orphan files, "
            f"{report.pressure_rows} pressure rows; cutoff {report.cutoff.isoformat()}",
        )


def clean_images(
    engine: Engine,
    data_dir: Path,
    now: datetime,
    policy: CleanupPolicy,
    disk_usage: Callable[[Path], DiskUsage] = shutil.disk_usage,
) -> CleanupReport:
    """Plan the whole run, refuse it if it deletes too much, then delete (unless dry run).

    The rows are read before the walk, so an image stored during the run is either
    indexed already or a fresh unindexed file, which the age rule keeps.
    """
    policy.validate()
    now = as_utc(now).astimezone(UTC)
    cutoff = now - timedelta(days=policy.retention_days)
    report = CleanupReport(dry_run=policy.dry_run, cutoff=cutoff)
    data_dir = Path(data_dir)
    root = Root(data_dir, IMAGES)

    rows = _indexed(engine, cutoff, now - timedelta(days=policy.pressure_min_age_days))
    indexed = {row[1] for row in rows}
    tree = walk(root, known=indexed)  # only unindexed files are stat-ed
    report.errors += [f"{path}: {why}" for path, why in tree.failed]
    report.indexed_rows = len(rows)
    report.unindexed_files = len(tree.files)
    report.images_total = len(rows) + len(tree.files)
    report.skipped += [
        f"{p}: {kind}, left alone{'; row kept' if p in indexed else ''}"
        for p, kind in tree.left_alone.items()
    ]

    inside = Containment(root)
    doomed: list[tuple[str, int, int | None]] = []  # (path, bytes, row id or None)
    rows_only: list[int] = []  # expired rows whose file is already gone
    for row_id, path, size, expired, _old in rows:
        if not expired:
            continue
        report.expired_rows += 1
        if not inside(path):
            report.skipped.append(f"{path}: indexed path outside the images folder; row kept")
        elif path in tree.present:
            doomed.append((path, size, row_id))
        elif path in tree.dirs:  # no file to delete, and no row to lose
            report.errors.append(f"{path}: indexed path is a directory; row kept")
        elif path in tree.left_alone:
            pass  # a symlink or special file: in `skipped` already, row kept
        else:
            rows_only.append(row_id)
    cutoff_ts = cutoff.timestamp()
    orphans = [(f.path, f.size, None) for f in tree.files if f.mtime < cutoff_ts]
    report.missing_files = len(rows_only)
    report.orphan_files = len(orphans)
    doomed += orphans

    if policy.min_free_percent is not None:
        doomed += _pressure(report, rows, tree, inside, doomed, policy, disk_usage(data_dir))

    report.planned_deletions = len(doomed) + len(rows_only)
    try:
        report.delete_share = guard_share(
            report.planned_deletions, report.images_total, policy.max_delete_share, policy.force
        )
    except DeletionRefused as refused:  # the camera's refusal carries the whole plan
        report.delete_share = refused.share
        raise CleanupRefused(report, policy.max_delete_share) from None

    plan = Plan(
        root,
        [(path, size) for path, size, _ in doomed],
        emptied_dirs(tree, (path for path, _, _ in doomed), EMPTIED_MIN_DEPTH, cutoff_ts),
    )
    done = plan.preview() if policy.dry_run else plan.execute()
    report.files_deleted = done.files_deleted
    report.bytes_freed = done.bytes_freed
    report.dirs_removed = done.dirs_removed
    report.errors += [
        f"{path}: {why}{'; row kept' if path in indexed else ''}" for path, why in done.failed
    ]
    # a row goes once its file is gone; a file that could not be deleted keeps its row
    gone_rows = [
        row_id for path, _, row_id in doomed if row_id is not None and path not in done.kept
    ]
    if policy.dry_run:
        report.rows_deleted = len(rows_only) + len(gone_rows)
        with engine.connect() as conn:
            report.rejects_deleted = conn.execute(
                select(func.count())
                .select_from(camera_rejects)
                .where(camera_rejects.c.captured_at < cutoff)
            ).scalar_one()
    else:
        _delete_rows(engine, [*rows_only, *gone_rows], cutoff, report)
    return report


def _indexed(engine: Engine, cutoff: datetime, pressure_limit: datetime) -> Sequence[Any]:
    """Every row as (id, path, bytes, expired, old enough for pressure), oldest first.

    The database compares the times, so no timestamp is parsed per row in Python.
    """
    c = camera_images.c
    query = select(
        c.id,
        c.path,
        c.bytes,
        (c.captured_at < cutoff).label("expired"),
        (c.captured_at <= pressure_limit).label("old_enough"),
    ).order_by(c.captured_at, c.id)
    with engine.connect() as conn:
        return conn.execute(query).all()


def _pressure(
    report: CleanupReport,
    rows: Sequence[Any],
    tree: Tree,
    inside: Containment,
    doomed: list[tuple[str, int, int | None]],
    policy: CleanupPolicy,
    usage: DiskUsage,
) -> list[tuple[str, int, int]]:
    """The oldest kept images whose sizes bring free space back to the threshold."""
    total, free = usage.total, usage.free
    if total <= 0:
        return []
    planned = sum(size for _, size, _ in doomed)
    report.free_percent_before = 100 * free / total
    need = policy.min_free_percent / 100 * total - free - planned
    chosen: list[tuple[str, int, int]] = []
    if report.free_percent_before < policy.min_free_percent:
        for row_id, path, size, expired, old_enough in rows:  # oldest first
            if need <= 0 or not old_enough:
                break
            if not expired and path in tree.present and inside(path):
                chosen.append((path, size, row_id))
                need -= size
    report.pressure_rows = len(chosen)
    freed = planned + sum(size for _, size, _ in chosen)
    report.free_percent_after = min(100.0, 100 * (free + freed) / total)
    return chosen


def _delete_rows(engine: Engine, ids: list[int], cutoff: datetime, report: CleanupReport) -> None:
    """Rows go after their files, in chunks, in one transaction with the old rejects.

    A crash between the unlinks and this leaves rows without files, which the next run
    deletes as missing.
    """
    with engine.begin() as conn:
        for start in range(0, len(ids), ROW_CHUNK):
            chunk = ids[start : start + ROW_CHUNK]
            conn.execute(delete(camera_images).where(camera_images.c.id.in_(chunk)))
            report.rows_deleted += len(chunk)
        report.rejects_deleted = conn.execute(
            delete(camera_rejects).where(camera_rejects.c.captured_at < cutoff)
        ).rowcount


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 2)


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
