"""Camera image retention: the archive is pruned by age, by orphan files, and under disk pressure.

Plain Python with no Prefect in it, so the flow stays a thin wrapper and the rules can be
tested and timed on their own.

Why it is built the way it is:

* The archive grows by 144 images per stream per day, so a run touches tens of
  thousands of files. Everything is planned from one query (all indexed paths) and one
  `os.scandir` walk, which gives each entry's type without a `stat`; only unindexed files
  are `stat`-ed (their age is all we know about them). Files are unlinked relative to a
  directory descriptor and rows are deleted in chunks, so the run costs about what
  `find -mtime +30 -delete` costs.
* Deleting is irreversible, so nothing is deleted until the whole run is planned: a clock
  far in the future or the data directory pointing at the wrong mount would make most of
  the archive look expired or orphaned, and the share guard refuses such a plan.
* Nothing outside the images folder may ever be touched. Symlinks are never followed nor
  deleted; directories are opened one component at a time with `O_NOFOLLOW`, so even a
  directory swapped for a symlink between planning and deleting cannot redirect an unlink.
  The images folder itself may be a symlink (e.g. to another disk): that is its location,
  not something found inside it.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, delete, func, select

from flows.camera.records import camera_images, camera_rejects
from flows.common.times import as_utc

IMAGES = "images"  # the images root, relative to the data directory (and first part of `path`)
ROW_CHUNK = 900  # ids per DELETE: under SQLite's historic 999 bound-parameter limit
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_GONE = {errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT}  # rmdir races that are not errors

# Indirection so a test can make one unlink fail even when running as root.
_unlink = os.unlink


class DiskUsage(Protocol):
    """What `shutil.disk_usage` returns; tests pass a namedtuple, since no test can fill a disk."""

    @property
    def total(self) -> int: ...
    @property
    def free(self) -> int: ...


@dataclass(frozen=True)
class CleanupPolicy:
    """What a run may delete; the defaults are safe for a scheduled run."""

    retention_days: float = 30
    dry_run: bool = False
    max_delete_share: float = 0.25  # of all images (indexed rows + unindexed files) per run
    force: bool = False  # allow deleting more than max_delete_share
    min_free_percent: float | None = None  # disk-pressure mode is off when None
    pressure_min_age_days: float = 1.0  # pressure mode never deletes younger images

    def validate(self) -> None:
        """Refuse nonsense before anything is read; `not (x >= y)` also catches NaN."""
        if not (self.retention_days >= 1):
            raise ValueError(f"retention_days must be at least 1, not {self.retention_days}")
        if not (0 < self.max_delete_share <= 1):
            raise ValueError(f"max_delete_share must be in (0, 1], not {self.max_delete_share}")
        if self.min_free_percent is not None and not (0 < self.min_free_percent < 100):
            raise ValueError(
                f"min_free_percent must be between 0 and 100 (exclusive), "
                f"not {self.min_free_percent}"
            )
        if not (self.pressure_min_age_days >= 0):
            raise ValueError(
                f"pressure_min_age_days must be at least 0, not {self.pressure_min_age_days}"
            )


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

    def as_markdown(self, max_items: int = 50) -> str:
        """The summary table plus the first skipped and failed items, for a markdown artifact."""
        verb = "Would delete" if self.dry_run else "Deleted"
        lines = [
            f"## Camera cleanup{' (dry run)' if self.dry_run else ''}",
            "",
            f"{verb} {self.files_deleted} file(s), {self.rows_deleted} row(s), "
            f"{_human(self.bytes_freed)}; cutoff {self.cutoff.isoformat()}.",
            "",
            "| measure | value |",
            "|---|---|",
            *(f"| {r['measure']} | {r['value']} |" for r in self.as_rows()),
        ]
        for title, items in (("Errors", self.errors), ("Skipped", self.skipped)):
            if items:
                lines += ["", f"### {title} ({len(items)})", ""]
                lines += [f"- `{item}`" for item in items[:max_items]]
                if len(items) > max_items:
                    lines.append(f"- ... and {len(items) - max_items} more")
        return "\n".join(lines) + "\n"


class CleanupRefused(Exception):
    """The plan would delete too large a share of the archive; nothing was deleted."""

    def __init__(self, report: CleanupReport, max_delete_share: float):
        self.report = report
        self.max_delete_share = max_delete_share
        super().__init__(
            f"refusing to delete {report.planned_deletions} of {report.images_total} images "
            f"({report.delete_share:.1%}), more than max_delete_share={max_delete_share:g} "
            f"({report.expired_rows} expired rows, {report.orphan_files} orphan files, "
            f"{report.pressure_rows} pressure rows; cutoff {report.cutoff.isoformat()}). "
            "Nothing was deleted. Check the clock and that the data directory is the right "
            "mount; if the deletion is intended, rerun with force=true or raise "
            "max_delete_share."
        )


class _Dir:
    """One walked directory: enough to tell whether the plan leaves it empty."""

    __slots__ = ("entries", "listed", "old_empty")

    def __init__(self) -> None:
        self.entries = 0
        self.listed = True
        self.old_empty = False


@dataclass
class _Walk:
    present: set[str] = field(default_factory=set)  # indexed paths that are regular files
    orphans: list[tuple[str, int]] = field(default_factory=list)  # (path, size), old enough
    unindexed: int = 0
    dirs: dict[str, _Dir] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # non-regular entries: path -> kind
    errors: list[str] = field(default_factory=list)


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
    root = data_dir / IMAGES

    rows = _indexed(engine, cutoff, now - timedelta(days=policy.pressure_min_age_days))
    indexed = {row[1] for row in rows}
    walk = _walk(root, indexed, cutoff.timestamp())
    report.errors += walk.errors
    report.indexed_rows = len(rows)
    report.unindexed_files = walk.unindexed
    report.images_total = len(rows) + walk.unindexed
    report.skipped += [
        f"{p}: {kind}, left alone{'; row kept' if p in indexed else ''}"
        for p, kind in walk.kinds.items()
        if kind != "directory"
    ]

    inside = _Containment(data_dir, root)
    doomed: list[tuple[str, int, int | None]] = []  # (path, bytes, row id or None)
    rows_only: list[int] = []  # expired rows whose file is already gone
    for row_id, path, size, expired, _old in rows:
        if not expired:
            continue
        report.expired_rows += 1
        if not inside(path):
            report.skipped.append(f"{path}: indexed path outside the images folder; row kept")
        elif path in walk.present:
            doomed.append((path, size, row_id))
        elif walk.kinds.get(path) == "directory":  # no file to delete, and no row to lose
            report.errors.append(f"{path}: indexed path is a directory; row kept")
        elif path in walk.kinds:
            pass  # a symlink or special file: in `skipped` already, row kept
        else:
            rows_only.append(row_id)
    report.missing_files = len(rows_only)
    report.orphan_files = len(walk.orphans)
    doomed += [(path, size, None) for path, size in walk.orphans]

    if policy.min_free_percent is not None:
        doomed += _pressure(report, rows, walk, inside, doomed, policy, disk_usage(data_dir))

    report.planned_deletions = len(doomed) + len(rows_only)
    if report.images_total:
        report.delete_share = report.planned_deletions / report.images_total
    if report.delete_share > policy.max_delete_share and not policy.force:
        raise CleanupRefused(report, policy.max_delete_share)
    dirs = _emptied_dirs(walk.dirs, (path for path, _, _ in doomed))

    if policy.dry_run:
        report.files_deleted = len(doomed)
        report.bytes_freed = sum(size for _, size, _ in doomed)
        report.rows_deleted = len(rows_only) + sum(row_id is not None for *_, row_id in doomed)
        report.dirs_removed = len(dirs)
        with engine.connect() as conn:
            report.rejects_deleted = conn.execute(
                select(func.count())
                .select_from(camera_rejects)
                .where(camera_rejects.c.captured_at < cutoff)
            ).scalar_one()
        return report

    gone_rows = _delete_files(root, doomed, report)
    _delete_rows(engine, [*rows_only, *gone_rows], cutoff, report)
    _remove_dirs(root, dirs, report)
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


def _walk(root: Path, indexed: set[str], cutoff_ts: float) -> _Walk:
    """List the images folder without following symlinks; stat only unindexed files."""
    walk = _Walk()
    stack = [(IMAGES, str(root))]
    while stack:
        rel, path = stack.pop()
        info = walk.dirs.setdefault(rel, _Dir())
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            if rel != IMAGES:  # vanished mid-walk; a missing root is an empty archive
                info.listed = False
            continue
        except OSError as exc:
            info.listed = False
            walk.errors.append(f"{rel}: cannot list ({exc.strerror}); left alone")
            continue
        prefix = rel + "/"
        with entries:
            for entry in entries:
                info.entries += 1
                child = prefix + entry.name
                try:
                    if entry.is_symlink():
                        walk.kinds[child] = "symlink"
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append((child, entry.path))
                        walk.kinds[child] = "directory"
                    elif entry.is_file(follow_symlinks=False):
                        if child in indexed:
                            walk.present.add(child)
                        else:
                            walk.unindexed += 1
                            st = entry.stat(follow_symlinks=False)
                            if st.st_mtime < cutoff_ts:
                                walk.orphans.append((child, st.st_size))
                    else:
                        walk.kinds[child] = "special file"
                except FileNotFoundError:  # deleted while listing: nothing left to do
                    info.entries -= 1
        if info.entries == 0 and rel != IMAGES:
            # An already-empty folder may have just been made for a download about to
            # land in it; only old empty folders are removed.
            try:
                info.old_empty = os.lstat(path).st_mtime < cutoff_ts
            except OSError:
                info.listed = False
    # Directories are walked, not reported; only what is left alone is reported.
    walk.kinds = {p: k for p, k in walk.kinds.items() if k != "directory" or p in indexed}
    return walk


class _Containment:
    """Is an indexed path a plain path inside the images folder, through no symlink?

    Decided per parent directory (one realpath each) because thousands of files share
    one day folder.
    """

    def __init__(self, data_dir: Path, root: Path):
        self.data_dir = str(data_dir)
        self.root_real = os.path.realpath(root)
        self.cache: dict[str, bool] = {}

    def __call__(self, path: str) -> bool:
        parent, _, name = path.rpartition("/")
        if name in ("", ".", ".."):
            return False
        ok = self.cache.get(parent)
        if ok is None:
            ok = self.cache[parent] = self._check(parent)
        return ok

    def _check(self, parent: str) -> bool:
        parts = parent.split("/")
        if parts[0] != IMAGES or any(p in ("", ".", "..") for p in parts):
            return False  # absolute, `..`, or not under images/ at all
        try:
            real = os.path.realpath(os.path.join(self.data_dir, parent))
        except (OSError, ValueError):
            return False
        return real == os.path.join(self.root_real, *parts[1:])


def _pressure(
    report: CleanupReport,
    rows: Sequence[Any],
    walk: _Walk,
    inside: _Containment,
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
            if not expired and path in walk.present and inside(path):
                chosen.append((path, size, row_id))
                need -= size
    report.pressure_rows = len(chosen)
    freed = planned + sum(size for _, size, _ in chosen)
    report.free_percent_after = min(100.0, 100 * (free + freed) / total)
    return chosen


def _emptied_dirs(dirs: dict[str, _Dir], doomed: Iterable[str]) -> list[str]:
    """Folders below a stream folder that the plan leaves empty, deepest first."""
    removed_in: Counter[str] = Counter(path.rpartition("/")[0] for path in doomed)
    emptied: list[str] = []
    for rel in sorted(dirs, key=lambda r: r.count("/"), reverse=True):
        info = dirs[rel]
        if rel.count("/") < 2 or not info.listed:  # the root and stream folders stay
            continue
        if info.entries - removed_in[rel] == 0 and (info.entries > 0 or info.old_empty):
            emptied.append(rel)
            removed_in[rel.rpartition("/")[0]] += 1
    return emptied


def _open_dir(root_fd: int, rel: str) -> int:
    """A descriptor for `rel` reached from the root without following any symlink."""
    fd = os.dup(root_fd)
    for part in rel.split("/")[1:]:
        try:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
        finally:
            os.close(fd)
        fd = child
    return fd


def _open_root(root: Path) -> int | None:
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None


def _delete_files(
    root: Path, doomed: list[tuple[str, int, int | None]], report: CleanupReport
) -> list[int]:
    """Unlink per directory; returns the ids of rows whose file is gone now."""
    by_dir: defaultdict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
    for path, size, row_id in doomed:
        parent, _, name = path.rpartition("/")
        by_dir[parent].append((name, size, row_id))
    gone: list[int] = []
    root_fd = _open_root(root) if by_dir else None
    if root_fd is None:
        return gone
    try:
        for parent, items in by_dir.items():
            try:
                fd = _open_dir(root_fd, parent)
            except OSError as exc:
                report.errors.append(
                    f"{parent}: cannot open ({exc.strerror}); {len(items)} file(s) and "
                    "their rows kept"
                )
                continue
            try:
                for name, size, row_id in items:
                    try:
                        _unlink(name, dir_fd=fd)
                    except FileNotFoundError:
                        pass  # gone already: the row can go
                    except OSError as exc:
                        kept = "; row kept" if row_id is not None else ""
                        report.errors.append(f"{parent}/{name}: {exc.strerror or exc}{kept}")
                        continue
                    else:
                        report.files_deleted += 1
                        report.bytes_freed += size
                    if row_id is not None:
                        gone.append(row_id)
            finally:
                os.close(fd)
    finally:
        os.close(root_fd)
    return gone


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


def _remove_dirs(root: Path, dirs: list[str], report: CleanupReport) -> None:
    """Deepest first, so a month folder is empty by the time its turn comes."""
    root_fd = _open_root(root) if dirs else None
    if root_fd is None:
        return
    try:
        for rel in dirs:
            parent, _, name = rel.rpartition("/")
            try:
                fd = _open_dir(root_fd, parent)
                try:
                    os.rmdir(name, dir_fd=fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                if exc.errno not in _GONE:  # not empty after all: a failed unlink, a new file
                    report.errors.append(f"{rel}: cannot remove folder ({exc.strerror})")
                continue
            report.dirs_removed += 1
    finally:
        os.close(root_fd)


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 2)


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
