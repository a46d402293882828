"""History retention: old executions and scans (rows and screenshot files) go in batches,
recent ones stay, dead runs are marked crashed, and a run after a crash finishes the job."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, insert, select, update

from flows.common.params import ParameterError
from flows.common.times import utcnow
from flows.cookie_scan import cleanup as cleanup_module
from flows.cookie_scan.cleanup import cleanup_history, shots_dir
from flows.cookie_scan.executions import Execution
from flows.cookie_scan.tables import (
    cookie_job_executions,
    cookie_scan_cookies,
    cookie_scan_hosts,
    cookie_scan_phases,
    cookie_scans,
)
from tests.cookie_scan.test_history import execution


def scan(engine: Engine, base: Path, days_ago: float, domain_config_id: str = "shop") -> str:
    """A scan of three phases, each with a screenshot file, a cookie and a host."""
    scan_id = str(uuid.uuid4())
    started = utcnow() - timedelta(days=days_ago)
    folder = shots_dir(domain_config_id, base) / scan_id
    folder.mkdir(parents=True)
    with engine.begin() as conn:
        conn.execute(
            insert(cookie_scans).values(
                scan_id=scan_id,
                domain_config_id=domain_config_id,
                domain=f"{domain_config_id}.test",
                url=f"http://{domain_config_id}.test/",
                status="completed",
                started_at=started,
                completed_at=started,
                pages_visited=1,
                findings={},
            )
        )
        for phase in ("before", "accept", "reject"):
            shot = folder / f"{phase}.png"
            shot.write_bytes(b"png")
            # stored absolute for one phase, relative to the data directory for the others
            path = str(shot) if phase == "before" else shot.relative_to(base).as_posix()
            conn.execute(
                insert(cookie_scan_phases).values(
                    scan_id=scan_id, phase=phase, screenshot_path=path, pages=[], refused=[]
                )
            )
            conn.execute(
                insert(cookie_scan_cookies).values(
                    scan_id=scan_id,
                    phase=phase,
                    name="_ga",
                    domain=f".{domain_config_id}.test",
                    path="/",
                    secure=False,
                    http_only=False,
                    third_party=False,
                    category="tracking",
                    value_hash="0" * 64,
                )
            )
            conn.execute(
                insert(cookie_scan_hosts).values(
                    scan_id=scan_id, phase=phase, host="ads-tracker.test", requests=2
                )
            )
    return scan_id


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def scan_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(cookie_scans.c.scan_id)).scalars())


def test_old_executions_and_scans_go_in_batches_with_their_files_recent_ones_stay(
    app_db: Engine, tmp_path: Path
):
    base = tmp_path / "data"
    old_scans = [scan(app_db, base, 91 + i) for i in range(5)]
    new_scans = [scan(app_db, base, 89), scan(app_db, base, 1, "news")]
    for days in (91, 100, 200):
        execution(app_db, "shop", "completed", 24 * days, 3.0)
    kept = execution(app_db, "shop", "failed", 24 * 89, 3.0)
    deletes: list[str] = []

    def count_deletes(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    event.listen(app_db, "before_cursor_execute", count_deletes)
    report = cleanup_history(app_db, keep_days=90, batch_size=2, base=base)
    event.remove(app_db, "before_cursor_execute", count_deletes)

    assert (report.executions, report.scans, report.files) == (3, 5, 15)
    assert report.batches == 2 + 3  # 3 executions by 2, 5 scans by 2
    assert scan_ids(app_db) == set(new_scans)
    assert count(app_db, cookie_scan_phases) == count(app_db, cookie_scan_cookies) == 6
    assert count(app_db, cookie_scan_hosts) == 6
    with app_db.connect() as conn:
        left = conn.execute(select(cookie_job_executions.c.execution_id)).scalars().all()
    assert left == [kept]
    for scan_id in old_scans:
        assert not (shots_dir("shop", base) / scan_id).exists()  # files and their folder
    for scan_id, domain in zip(new_scans, ("shop", "news"), strict=True):
        assert len(list((shots_dir(domain, base) / scan_id).iterdir())) == 3
    assert shots_dir("shop", base).is_dir()  # the domain's folder stays
    # 2 execution batches + per scan batch: cookies, hosts, phases, scans
    assert len(deletes) == 2 + 3 * 4
    assert (
        report.summary == "deleted 3 execution(s), 5 scan(s), 15 screenshot(s) older than 90 days"
    )

    again = cleanup_history(app_db, keep_days=90, batch_size=2, base=base)
    assert (again.executions, again.scans, again.files, again.batches) == (0, 0, 0, 0)


def test_a_run_after_a_crash_between_files_and_rows_finishes_the_job(
    app_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    base = tmp_path / "data"
    old = [scan(app_db, base, 100 + i) for i in range(3)]

    class Crash(Exception):
        pass

    real_delete = cleanup_module.delete

    def crash_on_scan_rows(table):
        if table is cookie_scan_cookies:
            raise Crash("the worker died")
        return real_delete(table)

    monkeypatch.setattr(cleanup_module, "delete", crash_on_scan_rows)
    with pytest.raises(Crash):
        cleanup_history(app_db, keep_days=90, batch_size=2, base=base)
    monkeypatch.setattr(cleanup_module, "delete", real_delete)
    # the first batch's files are gone, its rows are still there
    assert scan_ids(app_db) == set(old)
    assert sum(1 for _ in base.rglob("*.png")) == 3

    report = cleanup_history(app_db, keep_days=90, batch_size=2, base=base)
    assert report.scans == 3 and report.files == 3 and not report.failed
    assert scan_ids(app_db) == set() and not list(base.rglob("*.png"))


def test_a_screenshot_path_outside_the_scans_folder_is_never_deleted(
    app_db: Engine, tmp_path: Path
):
    base = tmp_path / "data"
    scan_id = scan(app_db, base, 120)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (base / "scans" / "evil").mkdir(parents=True)
    (base / "scans" / "evil" / "link").symlink_to(tmp_path)
    with app_db.begin() as conn:
        conn.execute(
            update(cookie_scan_phases)
            .where(cookie_scan_phases.c.phase == "before")
            .values(screenshot_path=str(precious))
        )
        conn.execute(
            update(cookie_scan_phases)
            .where(cookie_scan_phases.c.phase == "accept")
            .values(screenshot_path="scans/evil/link/precious.txt")
        )
    report = cleanup_history(app_db, keep_days=90, base=base)
    assert report.scans == 1 and scan_id not in scan_ids(app_db)
    assert precious.read_text() == "keep me"


def test_dead_runs_are_marked_crashed_before_the_retention(app_db: Engine, tmp_path: Path):
    stale = Execution.open(app_db, job_id="stale", domain_config_id="a", domain="a.test")
    live = Execution.open(app_db, job_id="live", domain_config_id="b", domain="b.test")
    with app_db.begin() as conn:
        conn.execute(
            update(cookie_job_executions)
            .where(cookie_job_executions.c.execution_id == stale.execution_id)
            .values(started_at=utcnow() - timedelta(hours=2))
        )
    report = cleanup_history(app_db, keep_days=90, stale_after=timedelta(minutes=17), base=tmp_path)
    assert report.crashed == 1 and "1 dead run(s) marked crashed" in report.summary
    with app_db.connect() as conn:
        rows = dict(
            conn.execute(
                select(cookie_job_executions.c.job_id, cookie_job_executions.c.status)
            ).all()
        )
    assert rows == {"stale": "crashed", "live": "running"}
    assert live.status == "running"


@pytest.mark.parametrize(("keep_days", "batch_size"), [(0.5, 10), (90, 0)])
def test_a_retention_under_a_day_or_an_empty_batch_is_refused(
    app_db: Engine, tmp_path: Path, keep_days: float, batch_size: int
):
    with pytest.raises(ParameterError, match=r"keep_days|batch_size"):
        cleanup_history(app_db, keep_days=keep_days, batch_size=batch_size, base=tmp_path)
