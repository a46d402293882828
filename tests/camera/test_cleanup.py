"""Camera retention cleanup on real trees in tmp_path, against SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, insert, select

from flows.camera import cleanup
from flows.camera.cleanup import CleanupPolicy, CleanupRefused, clean_images
from flows.camera.records import camera_images, camera_rejects
from flows.common import safefs
from flows.common.times import as_utc

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = CleanupPolicy(max_delete_share=1.0)  # most tests delete most of a tiny archive
Usage = namedtuple("Usage", "total used free")


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)


class Archive:
    """A data directory with an indexed image tree, built the way the downloader lays it out."""

    def __init__(self, engine: Engine, data_dir: Path):
        self.engine = engine
        self.data = data_dir
        (data_dir / "images").mkdir(parents=True)

    def image(
        self, captured_at: datetime, stream: str = "in_gate", size: int = 100, write: bool = True
    ) -> str:
        """Store and index one image; returns its `path`."""
        path = f"images/{stream}/{captured_at:%Y/%m/%d}/{captured_at:%Y%m%dT%H%M%SZ}.jpg"
        if write:
            self.put(path, size, captured_at)
        self.index(path, captured_at, stream, size)
        return path

    def index(self, path: str, captured_at: datetime, stream: str = "in_gate", size: int = 100):
        with self.engine.begin() as conn:
            conn.execute(
                insert(camera_images).values(
                    stream=stream,
                    captured_at=captured_at,
                    path=path,
                    sha256="0" * 64,
                    bytes=size,
                    width=640,
                    height=480,
                    stored_at=captured_at,
                )
            )

    def put(self, rel: str, size: int = 10, modified: datetime | None = None) -> Path:
        """An unindexed file (or the file of an indexed row), with the given mtime."""
        target = self.data / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"x" * size)
        stamp = (modified or NOW).timestamp()
        os.utime(target, (stamp, stamp))
        return target

    def reject(self, captured_at: datetime, stream: str = "in_gate") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(camera_rejects).values(
                    stream=stream,
                    captured_at=captured_at,
                    reason="frozen",
                    detail="",
                    url="http://cam/x.jpg",
                    rejected_at=captured_at,
                )
            )

    def rows(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(camera_images.c.path)).scalars())

    def rejects(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(camera_rejects)).scalar_one()

    def files(self, under: str = "images") -> set[str]:
        """Every non-directory entry (files and symlinks), relative to the data directory."""
        found = set()
        for dirpath, dirnames, filenames in os.walk(self.data / under):
            names = filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            found |= {Path(dirpath, n).relative_to(self.data).as_posix() for n in names}
        return found

    def dirs(self) -> set[str]:
        return {
            p.relative_to(self.data).as_posix()
            for p in (self.data / "images").rglob("*")
            if p.is_dir() and not p.is_symlink()
        }

    def clean(self, policy: CleanupPolicy = POLICY, now: datetime = NOW, **kw):
        return clean_images(self.engine, self.data, now, policy, **kw)


@pytest.fixture
def archive(app_db: Engine, tmp_path: Path) -> Archive:
    return Archive(app_db, tmp_path / "data")


def test_expired_images_and_their_rows_go_and_fresh_ones_stay(archive):
    old = [archive.image(days(40), size=300), archive.image(days(30.5), size=200)]
    kept = [
        archive.image(days(30)),  # exactly at the cutoff: not older than it
        archive.image(days(29)),
        archive.image(days(0.01), stream="out_gate"),
    ]
    report = archive.clean()
    assert archive.rows() == set(kept)
    assert archive.files() == set(kept)
    assert not any((archive.data / p).exists() for p in old)
    assert (report.expired_rows, report.files_deleted, report.rows_deleted) == (2, 2, 2)
    assert report.bytes_freed == 500
    assert (report.indexed_rows, report.images_total, report.orphan_files) == (5, 5, 0)
    assert report.cutoff == days(30)
    assert report.errors == [] and report.skipped == []


def test_orphans_past_retention_go_and_young_ones_stay(archive):
    indexed = archive.image(days(2))
    day = "images/in_gate/2026/11/24"
    archive.put(f"{day}/20261124T000000Z.jpg", modified=days(45))  # old, not indexed
    archive.put(f"{day}/.20261124T010000Z.jpg.a1b2.tmp", modified=days(31))  # crashed write
    archive.put(f"{day}/20261124T020000Z.jpg", modified=days(10))  # young orphan
    archive.put(f"{day}/.20261126T115900Z.jpg.c3d4.tmp", modified=NOW)  # being written now
    archive.put("images/_failures/20261001T000000Z-in_gate.png", modified=days(56))
    archive.put("images/_failures/20261001T000000Z-in_gate.html", modified=days(31))
    archive.put("images/_failures/20261120T000000Z-in_gate.png", modified=days(6))
    report = archive.clean()
    assert archive.files() == {
        indexed,
        f"{day}/20261124T020000Z.jpg",
        f"{day}/.20261126T115900Z.jpg.c3d4.tmp",
        "images/_failures/20261120T000000Z-in_gate.png",
    }
    assert archive.rows() == {indexed}
    assert (report.unindexed_files, report.orphan_files, report.files_deleted) == (7, 4, 4)
    assert (report.rows_deleted, report.bytes_freed) == (0, 40)
    assert report.images_total == 8


def test_emptied_day_month_and_year_folders_go_but_streams_and_root_stay(archive):
    archive.image(datetime(2025, 9, 1, tzinfo=UTC))  # a whole year of its own
    archive.image(datetime(2026, 9, 3, tzinfo=UTC))
    archive.image(datetime(2026, 9, 4, tzinfo=UTC))  # a whole month
    archive.image(datetime(2026, 10, 1, tzinfo=UTC))
    kept = archive.image(datetime(2026, 10, 30, 6, tzinfo=UTC))  # same month, fresh
    archive.image(datetime(2026, 8, 1, tzinfo=UTC), stream="out_gate")  # its only image
    (archive.data / "images/in_gate/2026/07/02").mkdir(parents=True)  # empty for long
    old = days(100).timestamp()
    os.utime(archive.data / "images/in_gate/2026/07/02", (old, old))
    (archive.data / "images/in_gate/2026/11/26").mkdir(parents=True)  # just made: a download
    os.utime(archive.data / "images/in_gate/2026/11/26", (NOW.timestamp(),) * 2)
    (archive.data / "images/_failures").mkdir()

    report = archive.clean()
    assert archive.files() == {kept}
    assert archive.dirs() == {
        "images/in_gate",
        "images/in_gate/2026",
        "images/in_gate/2026/10",
        "images/in_gate/2026/10/30",
        "images/in_gate/2026/11",
        "images/in_gate/2026/11/26",
        "images/out_gate",
        "images/_failures",
    }
    # 2025/09/01, 2025/09, 2025, 2026/09/03, 2026/09/04, 2026/09, 2026/10/01,
    # out_gate 2026/08/01, 2026/08, 2026, and in_gate 2026/07/02, 2026/07
    assert report.dirs_removed == 12


def test_a_symlinked_directory_is_neither_followed_nor_deleted(archive, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (outside / name).write_bytes(b"keep me")
        os.utime(outside / name, (days(90).timestamp(),) * 2)
    day = "images/in_gate/2026/10/01"
    expired = archive.image(datetime(2026, 10, 1, tzinfo=UTC))
    link = archive.data / day / "elsewhere"
    link.symlink_to(outside, target_is_directory=True)
    os.utime(link, (days(90).timestamp(),) * 2, follow_symlinks=False)
    through_link = f"{day}/elsewhere/a.jpg"  # an indexed path through the symlink
    archive.index(through_link, days(60))

    report = archive.clean()
    assert sorted(p.name for p in outside.iterdir()) == ["a.jpg", "b.jpg"]
    assert (outside / "a.jpg").read_bytes() == b"keep me"
    assert link.is_symlink() and (archive.data / day).is_dir()  # the link keeps its folder
    assert archive.rows() == {through_link}
    assert archive.files() == {f"{day}/elsewhere"}
    assert expired not in archive.files()
    assert any(s.startswith(f"{day}/elsewhere: symlink") for s in report.skipped)
    assert any(s.startswith(through_link) and "outside" in s for s in report.skipped)
    assert (report.files_deleted, report.rows_deleted) == (1, 1)


def test_a_symlinked_file_stays_and_its_target_too(archive, tmp_path):
    target = tmp_path / "target.jpg"
    target.write_bytes(b"target")
    day = "images/in_gate/2026/10/01"
    archive.put(f"{day}/20261001T000000Z.jpg", modified=days(50))  # an old orphan: goes
    link = archive.data / day / "20261001T001000Z.jpg"
    link.symlink_to(target)
    os.utime(link, (days(50).timestamp(),) * 2, follow_symlinks=False)
    archive.index(f"{day}/20261001T001000Z.jpg", days(56))  # indexed, expired, a symlink

    report = archive.clean()
    assert target.read_bytes() == b"target"
    assert link.is_symlink()
    assert archive.files() == {f"{day}/20261001T001000Z.jpg"}
    assert archive.rows() == {f"{day}/20261001T001000Z.jpg"}
    assert report.skipped == [f"{day}/20261001T001000Z.jpg: symlink, left alone; row kept"]
    assert (report.files_deleted, report.rows_deleted, report.errors) == (1, 0, [])


def test_an_indexed_path_escaping_the_images_folder_is_skipped(archive, tmp_path):
    outside = archive.put("outside/escape.jpg", modified=days(90))
    absolute = tmp_path / "abs.jpg"
    absolute.write_bytes(b"abs")
    escaping = "images/in_gate/../../outside/escape.jpg"
    archive.index(escaping, days(60))
    archive.index(str(absolute), days(61), stream="out_gate")
    archive.index("outside/escape.jpg", days(62), stream="side")  # not under images/ at all

    report = archive.clean()
    assert outside.read_bytes() == b"x" * 10 and absolute.read_bytes() == b"abs"
    assert archive.rows() == {escaping, str(absolute), "outside/escape.jpg"}
    assert report.expired_rows == 3 and report.rows_deleted == 0
    assert len([s for s in report.skipped if "outside the images folder" in s]) == 3


def test_files_beside_the_images_folder_are_never_touched(archive):
    beside = {
        "links/direct/old.mp4": archive.put("links/direct/old.mp4", modified=days(400)),
        "notes.txt": archive.put("notes.txt", modified=days(400)),
        "imagesX/old.jpg": archive.put("imagesX/old.jpg", modified=days(400)),
    }
    archive.image(days(100))
    report = archive.clean()
    assert all(p.exists() for p in beside.values())
    assert archive.files("") == set(beside)
    assert report.files_deleted == 1


def test_a_clock_far_in_the_future_is_refused_and_nothing_is_deleted(archive):
    paths = {archive.image(days(d)) for d in (1, 2, 3, 40)}
    archive.put("images/_failures/x.png", modified=days(3))
    archive.reject(days(50))
    before = archive.files()

    future = NOW + timedelta(days=3650)
    with pytest.raises(CleanupRefused) as refused:
        archive.clean(CleanupPolicy(), now=future)
    message = str(refused.value)
    assert "5 of 5 images (100.0%)" in message
    assert "max_delete_share=0.25" in message
    assert "force=true" in message
    assert refused.value.report.files_deleted == 0
    assert archive.files() == before and archive.rows() == paths and archive.rejects() == 1

    report = archive.clean(CleanupPolicy(force=True), now=future)
    assert archive.files() == set() and archive.rows() == set() and archive.rejects() == 0
    assert (report.files_deleted, report.rows_deleted, report.rejects_deleted) == (5, 4, 1)
    assert report.delete_share == 1.0


def test_the_share_guard_counts_rows_and_unindexed_files(archive):
    for d in (40, 1, 2, 3):
        archive.image(days(d))
    archive.put("images/_failures/old.png", modified=days(40))
    archive.put("images/_failures/new.png", modified=days(1))
    # 2 of 6 (33%) is more than 0.25 but not more than 0.34
    with pytest.raises(CleanupRefused):
        archive.clean(CleanupPolicy())
    report = archive.clean(CleanupPolicy(max_delete_share=0.34))
    assert report.planned_deletions == 2 and report.images_total == 6


def test_an_empty_archive_is_never_refused(app_db, tmp_path):
    report = clean_images(app_db, tmp_path / "nothing-here", NOW, CleanupPolicy())
    assert (report.images_total, report.files_deleted, report.delete_share) == (0, 0, 0.0)


def test_a_dry_run_deletes_nothing_and_reports_what_the_run_does(archive):
    for d in (50, 45, 40, 20, 1):
        archive.image(days(d), size=int(d) * 10)
    archive.image(days(41), write=False)  # its file is gone
    archive.put("images/in_gate/2026/01/01/orphan.jpg", size=77, modified=days(300))
    archive.reject(days(31))
    archive.reject(days(29))
    files, rows = archive.files(), archive.rows()
    dirs = archive.dirs()

    dry = archive.clean(CleanupPolicy(dry_run=True, max_delete_share=1))
    assert (archive.files(), archive.rows(), archive.dirs()) == (files, rows, dirs)
    assert archive.rejects() == 2
    real = archive.clean(CleanupPolicy(max_delete_share=1))

    fields = [
        "expired_rows",
        "missing_files",
        "orphan_files",
        "files_deleted",
        "bytes_freed",
        "rows_deleted",
        "rejects_deleted",
        "dirs_removed",
        "images_total",
    ]
    assert {f: getattr(dry, f) for f in fields} == {f: getattr(real, f) for f in fields}
    assert (real.files_deleted, real.bytes_freed, real.rows_deleted) == (4, 1427, 4)
    assert (real.rejects_deleted, real.missing_files) == (1, 1)
    assert dry.dry_run and not real.dry_run
    assert archive.rejects() == 1


def test_a_row_whose_file_is_missing_is_removed_when_expired(archive):
    gone = archive.image(days(40), write=False)
    young_gone = archive.image(days(3), write=False)
    report = archive.clean()
    assert archive.rows() == {young_gone}
    assert gone not in archive.rows()
    assert (report.missing_files, report.rows_deleted, report.files_deleted) == (1, 1, 0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_file_in_a_read_only_folder_is_reported_and_its_row_kept(archive):
    stuck = archive.image(datetime(2026, 9, 1, tzinfo=UTC))
    goes = archive.image(datetime(2026, 9, 2, tzinfo=UTC))
    folder = (archive.data / stuck).parent
    folder.chmod(0o555)
    try:
        report = archive.clean()
    finally:
        folder.chmod(0o755)
    assert archive.rows() == {stuck} and archive.files() == {stuck}
    assert goes not in archive.files()
    assert len(report.errors) == 1 and report.errors[0].startswith(stuck)
    assert (report.files_deleted, report.rows_deleted) == (1, 1)


def test_a_file_that_cannot_be_unlinked_is_reported_and_the_rest_go_on(archive, monkeypatch):
    stuck = archive.image(datetime(2026, 9, 1, tzinfo=UTC))
    others = [archive.image(datetime(2026, 9, 1, h, tzinfo=UTC)) for h in (1, 2)]
    orphan = "images/in_gate/2026/09/01/stray.jpg"
    archive.put(orphan, modified=days(80))
    real_unlink = safefs._unlink
    stuck_name = stuck.rpartition("/")[2]

    def unlink(name, *, dir_fd):
        if name in (stuck_name, "stray.jpg"):
            raise PermissionError(13, "Permission denied")
        real_unlink(name, dir_fd=dir_fd)

    monkeypatch.setattr(safefs, "_unlink", unlink)
    report = archive.clean()
    assert archive.rows() == {stuck}
    assert archive.files() == {stuck, orphan}
    assert not any((archive.data / p).exists() for p in others)
    assert report.errors == [
        f"{stuck}: Permission denied; row kept",
        f"{orphan}: Permission denied",
    ]
    assert (report.files_deleted, report.rows_deleted, report.dirs_removed) == (2, 2, 0)


def test_a_folder_where_an_indexed_file_should_be_is_reported_and_its_row_kept(archive):
    stuck = archive.image(datetime(2026, 9, 1, tzinfo=UTC), write=False)
    (archive.data / stuck).mkdir(parents=True)  # the unlink of a folder fails
    os.utime(archive.data / stuck, (NOW.timestamp(),) * 2)  # not an old empty folder
    goes = archive.image(datetime(2026, 9, 2, tzinfo=UTC))
    report = archive.clean()
    assert archive.rows() == {stuck}
    assert (archive.data / stuck).is_dir()
    assert goes not in archive.files()
    assert report.errors == [f"{stuck}: indexed path is a directory; row kept"]
    assert (report.files_deleted, report.rows_deleted) == (1, 1)


def test_old_rejects_are_deleted_and_recent_ones_kept(archive):
    archive.reject(days(31))
    archive.reject(days(31), stream="out_gate")
    archive.reject(days(29))
    report = archive.clean()
    assert report.rejects_deleted == 2
    with archive.engine.connect() as conn:
        left = conn.execute(select(camera_rejects.c.stream, camera_rejects.c.captured_at)).all()
    assert [(s, as_utc(at)) for s, at in left] == [("in_gate", days(29))]


def test_rows_are_deleted_in_chunks(archive, monkeypatch):
    for i in range(10):
        archive.image(days(40) + timedelta(minutes=10 * i))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.startswith("DELETE FROM camera_images"):
            statements.append(statement)

    monkeypatch.setattr(cleanup, "ROW_CHUNK", 4)
    event.listen(archive.engine, "before_cursor_execute", seen)
    try:
        report = archive.clean()
    finally:
        event.remove(archive.engine, "before_cursor_execute", seen)
    assert len(statements) == 3  # 4 + 4 + 2
    assert report.rows_deleted == 10 and archive.rows() == set()


def sizes(archive: Archive, ages: list[float], size: int = 1000) -> dict[float, str]:
    return {age: archive.image(days(age), size=size) for age in ages}


def test_pressure_deletes_the_oldest_first_and_stops_at_the_threshold(archive):
    images = sizes(archive, [10, 8, 6, 4, 2, 0.5])
    calls = []

    def usage(path):
        calls.append(path)
        return Usage(total=100_000, used=95_000, free=5_000)  # 5% free

    report = archive.clean(CleanupPolicy(min_free_percent=8, max_delete_share=1), disk_usage=usage)
    assert calls == [archive.data]
    assert archive.rows() == {images[4], images[2], images[0.5]}
    assert (report.pressure_rows, report.files_deleted, report.bytes_freed) == (3, 3, 3000)
    assert (report.free_percent_before, report.free_percent_after) == (5.0, 8.0)


def test_pressure_counts_the_expired_images_as_freed_first(archive):
    expired = archive.image(days(40), size=2000)
    images = sizes(archive, [10, 8, 6])
    report = archive.clean(
        CleanupPolicy(min_free_percent=8, max_delete_share=1),
        disk_usage=lambda _: Usage(100_000, 95_000, 5_000),
    )
    assert archive.rows() == {images[8], images[6]}
    assert expired not in archive.files()
    assert (report.expired_rows, report.pressure_rows, report.bytes_freed) == (1, 1, 3000)


def test_pressure_never_deletes_images_younger_than_the_minimum_age(archive):
    images = sizes(archive, [10, 4, 2, 1.5, 0.9, 0.1])
    report = archive.clean(
        CleanupPolicy(min_free_percent=50, max_delete_share=1, pressure_min_age_days=1.5),
        disk_usage=lambda _: Usage(100_000, 99_000, 1_000),
    )
    assert archive.rows() == {images[0.9], images[0.1]}
    assert report.pressure_rows == 4
    assert report.free_percent_after == pytest.approx(5.0)


def test_pressure_is_idle_while_there_is_enough_free_space(archive):
    images = sizes(archive, [10, 8])
    report = archive.clean(
        CleanupPolicy(min_free_percent=8, max_delete_share=1),
        disk_usage=lambda _: Usage(100_000, 50_000, 50_000),
    )
    assert archive.rows() == set(images.values())
    assert (report.pressure_rows, report.free_percent_before) == (0, 50.0)


def test_pressure_rows_count_in_the_share_guard(archive):
    sizes(archive, [10, 8, 6, 4])
    with pytest.raises(CleanupRefused, match="4 pressure rows"):
        archive.clean(
            CleanupPolicy(min_free_percent=50),
            disk_usage=lambda _: Usage(100_000, 99_000, 1_000),
        )
    assert len(archive.rows()) == 4 and len(archive.files()) == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("retention_days", 0.5),
        ("retention_days", float("nan")),
        ("max_delete_share", 0),
        ("max_delete_share", 1.5),
        ("min_free_percent", 0),
        ("min_free_percent", 100),
        ("pressure_min_age_days", -1),
    ],
)
def test_policy_validation_names_the_field(field, value, tmp_path):
    policy = CleanupPolicy(**{field: value})
    with pytest.raises(ValueError, match=field):
        policy.validate()
    with pytest.raises(ValueError, match=field):  # checked before anything is touched
        clean_images(None, tmp_path, NOW, policy)


def test_the_default_policy_is_valid():
    CleanupPolicy().validate()
    CleanupPolicy(retention_days=1, max_delete_share=1, min_free_percent=99.9).validate()


def test_the_report_renders_for_an_artifact(archive):
    archive.image(days(40), size=2048)
    report = archive.clean(CleanupPolicy(dry_run=True, max_delete_share=1))
    rows = {r["measure"]: r["value"] for r in report.as_rows()}
    assert rows["files_deleted"] == "1" and rows["bytes_freed"] == "2048"
    assert rows["dry_run"] == "True"
    markdown = report.as_markdown()
    assert "Would delete 1 file(s), 1 row(s), 2.0 KiB" in markdown
    assert "| expired_rows | 1 |" in markdown
