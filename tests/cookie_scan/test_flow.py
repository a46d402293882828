"""The scan flow as Prefect runs it (test harness): one slot per domain, a busy domain
ends Cancelled without queueing, retries only for transient failures, and a job execution
row for every run, failed and skipped ones included."""

from __future__ import annotations

import sys
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
from prefect.variables import Variable
from sqlalchemy import Engine, insert, select, update

import flows.cookie_scan
from blocks.cookie_scan import CookieScanner
from flows.common.errors import PermanentError, TransientError
from flows.common.settings import OUTBOUND_ALLOW
from flows.common.times import utcnow
from flows.cookie_scan.executions import Execution
from flows.cookie_scan.flow import (
    cookie_history_cleanup,
    cookie_scan,
    ensure_limit,
    limit_name,
    summary,
)
from flows.cookie_scan.tables import (
    cookie_job_executions,
    cookie_scan_cookies,
    cookie_scan_profiles,
    cookie_scans,
    cookie_schedules,
)
from infra.sandbox.services.consent.sites import SITES
from tests.cookie_scan.test_executions import add_schedule
from tests.cookie_scan.test_history import execution


def stand_in(monkeypatch: pytest.MonkeyPatch, name: str, **attrs) -> None:
    """Replace one of the scanner engine's modules for a test of the Prefect layer only."""
    module = types.ModuleType(f"flows.cookie_scan.{name}")
    module.__dict__.update(attrs)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(flows.cookie_scan, name, module, raising=False)


def scanner_raising(monkeypatch, error: BaseException) -> list[str]:
    calls: list[str] = []

    def scan_domain(config, scanner, policy, shots):
        calls.append(config.domain)
        raise error

    stand_in(monkeypatch, "scanner", scan_domain=scan_domain)
    return calls


def domain(engine: Engine, retries: int = 1, enabled: bool = True) -> str:
    """A domain config of its own (limits live on the shared harness server)."""
    domain_config_id = f"t-{uuid.uuid4().hex[:8]}"
    schedule_id = add_schedule(engine, domain_config_id, f"{domain_config_id}.test")
    profile_id = str(uuid.uuid4())
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(cookie_scan_profiles).values(
                profile_id=profile_id,
                domain_config_id=domain_config_id,
                max_retries=retries,
                max_pages=1,
                scan_depth=0,
                allow_deep_scan=False,
                custom_pages=[],
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            update(cookie_schedules)
            .where(cookie_schedules.c.schedule_id == schedule_id)
            .values(profile_id=profile_id, enabled=enabled)
        )
    return domain_config_id


def rows(engine: Engine, domain_config_id: str) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(cookie_job_executions)
                .where(cookie_job_executions.c.domain_config_id == domain_config_id)
                .order_by(cookie_job_executions.c.started_at)
            ).mappings()
        ]


@contextmanager
def holding(domain_config_id: str) -> Iterator[None]:
    """Hold the domain's slot as another run on another worker would."""
    name = limit_name(domain_config_id)
    ensure_limit(name)
    with get_client(sync_client=True) as client:
        lease = client.increment_concurrency_slots_with_lease(
            names=[name], slots=1, mode="concurrency", lease_duration=60
        ).json()["lease_id"]
        try:
            yield
        finally:
            client.release_concurrency_slots_with_lease(uuid.UUID(lease))


@pytest.fixture
def db(local_app_db, app_db_block, data_dir) -> tuple[Engine, str]:
    return local_app_db.engine, app_db_block


def test_a_busy_domain_ends_cancelled_at_once_with_the_reason_and_a_skipped_row(db, monkeypatch):
    engine, block = db
    calls = scanner_raising(monkeypatch, AssertionError("must not scan"))
    config_id = domain(engine)
    with holding(config_id):
        state = cookie_scan(config_id, app_db_block=block, return_state=True)
    assert state.is_cancelled(), state.message
    assert state.message.startswith("skipped: domain busy")
    assert limit_name(config_id) in state.message
    assert calls == []
    (row,) = rows(engine, config_id)
    assert row["status"] == "skipped" and row["error_message"] == state.message
    assert row["job_id"] == str(state.state_details.flow_run_id)
    assert row["metadata"]["flow_run_id"] == row["job_id"]

    # the slot is free again: the next run scans (and this stand-in fails permanently)
    calls = scanner_raising(monkeypatch, PermanentError("target refused"))
    state = cookie_scan(config_id, app_db_block=block, return_state=True)
    assert state.is_failed() and calls == [f"{config_id}.test"]


def test_a_transient_failure_is_retried_max_retries_times_then_recorded_failed(db, monkeypatch):
    engine, block = db
    calls = scanner_raising(monkeypatch, TransientError("browser context closed"))
    config_id = domain(engine, retries=2)
    state = cookie_scan(config_id, app_db_block=block, retry_delay_seconds=0, return_state=True)
    assert state.is_failed()
    assert len(calls) == 3  # the first attempt and max_retries=2 retries
    (row,) = rows(engine, config_id)
    assert row["status"] == "failed"
    assert row["error_message"] == "TransientError: browser context closed"
    assert row["error_details"]["permanent"] is False
    assert row["duration_seconds"] is not None and row["completed_at"] is not None
    with engine.connect() as conn:
        last = conn.execute(
            select(cookie_schedules.c.last_status).where(
                cookie_schedules.c.domain_config_id == config_id
            )
        ).scalar_one()
    assert last == "failed"
    with holding(config_id):  # a failed run released its slot
        pass


def test_a_permanent_failure_is_not_retried(db, monkeypatch):
    engine, block = db
    calls = scanner_raising(monkeypatch, PermanentError("chromium is not installed"))
    config_id = domain(engine, retries=3)
    state = cookie_scan(config_id, app_db_block=block, retry_delay_seconds=0, return_state=True)
    assert state.is_failed() and len(calls) == 1
    (row,) = rows(engine, config_id)
    assert row["status"] == "failed" and row["error_details"]["permanent"] is True


def test_an_unknown_domain_fails_naming_it_and_is_recorded(db, monkeypatch):
    engine, block = db
    scanner_raising(monkeypatch, AssertionError("must not scan"))
    state = cookie_scan("no-such-config", app_db_block=block, return_state=True)
    assert state.is_failed()
    (row,) = rows(engine, "no-such-config")
    assert row["status"] == "failed" and "'no-such-config'" in row["error_message"]
    assert row["domain"] == ""


def test_a_disabled_domain_is_skipped_as_cancelled(db, monkeypatch):
    engine, block = db
    calls = scanner_raising(monkeypatch, AssertionError("must not scan"))
    config_id = domain(engine, enabled=False)
    state = cookie_scan(config_id, app_db_block=block, return_state=True)
    assert state.is_cancelled() and state.message.startswith("skipped: domain disabled")
    assert calls == [] and [r["status"] for r in rows(engine, config_id)] == ["skipped"]


def test_the_limit_is_created_with_one_slot_and_put_back_to_one(db, monkeypatch):
    engine, block = db
    scanner_raising(monkeypatch, PermanentError("refused"))
    config_id = domain(engine)
    name = limit_name(config_id)
    assert name == f"cookie-scan:domain-{config_id}"
    cookie_scan(config_id, app_db_block=block, return_state=True)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).limit == 1
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=3))
    cookie_scan(config_id, app_db_block=block, return_state=True)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).limit == 1


def test_the_next_run_marks_a_dead_runs_row_crashed(db, monkeypatch):
    engine, block = db
    scanner_raising(monkeypatch, PermanentError("refused"))
    config_id = domain(engine)
    Execution.open(
        engine, job_id="dead-run", domain_config_id=config_id, domain=f"{config_id}.test"
    )
    cookie_scan(config_id, app_db_block=block, return_state=True)
    found = {r["job_id"]: r["status"] for r in rows(engine, config_id)}
    assert found["dead-run"] == "crashed"
    assert sorted(found.values()) == ["crashed", "failed"]


def test_a_sandbox_site_is_scanned_for_real_stored_published_and_recorded(
    db, sb, save_block, run_artifacts
):
    """The real scanner (Chromium, autoconsent, the guard proxy) on the sandbox's OneTrust
    site, twice: the second run's artifact diffs against the first."""
    engine, app_block = db
    env = sb.seed("demo")["env"]
    scanner_block = save_block(
        CookieScanner(
            url_template=env["COOKIE_SCAN_URL_TEMPLATE"],
            host_map=env["COOKIE_SCAN_HOST_MAP"].split(","),
            secure_origins=env["COOKIE_SCAN_SECURE_ORIGINS"].split(","),
            settle_seconds=1.0,
        ),
        "scanner",
    )
    site = next(s for s in SITES if s.domain_config_id == "demo-onetrust")
    add_schedule(engine, site.domain_config_id, site.domain)
    Variable.set(OUTBOUND_ALLOW, [f"127.0.0.1:{sb.port}"], overwrite=True)
    try:
        states = [
            cookie_scan(
                site.domain_config_id,
                scanner_block=scanner_block,
                app_db_block=app_block,
                return_state=True,
            )
            for _ in range(2)
        ]
    finally:
        Variable.unset(OUTBOUND_ALLOW)
    for state in states:
        assert state.is_completed(), state.message
        assert state.message.startswith(f"{site.platform}: "), state.message
    executions = rows(engine, site.domain_config_id)
    assert [r["status"] for r in executions] == ["completed", "completed"]
    scan_ids = [r["scan_id"] for r in executions]
    with engine.connect() as conn:
        stored = conn.execute(select(cookie_scans.c.scan_id, cookie_scans.c.consent_platform)).all()
        before = set(
            conn.execute(
                select(cookie_scan_cookies.c.domain, cookie_scan_cookies.c.name).where(
                    cookie_scan_cookies.c.scan_id == scan_ids[0],
                    cookie_scan_cookies.c.phase == "before",
                )
            ).all()
        )
    assert sorted(stored) == sorted((i, site.platform) for i in scan_ids)
    assert {(d.lstrip("."), n) for d, n in before} == set(site.before)
    (artifact,) = [a for a in run_artifacts(states[1]) if a.key]
    assert artifact.key == "cookie-scan-demo-onetrust"
    assert site.domain in artifact.data


def test_the_cleanup_flow_deletes_old_history_and_publishes_the_statistics(db, run_artifacts):
    engine, block = db
    execution(engine, "shop", "completed", 24 * 100, 9.0)  # past the retention
    execution(engine, "shop", "completed", 2, 10.0)
    execution(engine, "shop", "failed", 1, 30.0)
    state = cookie_history_cleanup(keep_days=90, app_db_block=block, return_state=True)
    assert state.is_completed(), state.message
    assert state.message.startswith("deleted 1 execution(s), 0 scan(s), 0 screenshot(s)")
    assert state.message.endswith("; 7 days: 2 scan run(s), 50 % ok")
    (artifact,) = [a for a in run_artifacts(state) if a.key == "cookie-scan-history"]
    assert "| 2 | 1 | 1 | 0 | 0 | 50.0 % | 20.0 | 10.0 | 30.0 |" in artifact.data
    assert "| shop | shop.test | 2 | 1 | 1 | 0 |" in artifact.data


def test_the_verdict_line_fits_the_demo_table_and_says_what_matters():
    tcf = types.SimpleNamespace(
        consent_platform="quantcast",
        pages_visited=1,
        findings={
            "cookies_before_consent": [],
            "cookies_after_reject": [],
            "tcf_consent_after_reject": {"purposes": [1, 3]},
            "third_party_hosts": {"before": [], "accept": [], "reject": []},
        },
    )
    assert summary(tcf) == (
        "quantcast: 0 cookies before consent, 0 after reject, TCF consent after reject, 1 page"
    )
    tracked = types.SimpleNamespace(
        consent_platform=None,
        pages_visited=3,
        findings={
            "cookies_before_consent": [{"name": "_ga"}],
            "cookies_after_reject": None,  # the reject pass failed
            "tcf_consent_after_reject": None,
            "third_party_hosts": {"before": ["a.test"], "accept": ["a.test", "b.test"]},
        },
    )
    line = summary(tracked)
    assert line == (
        "no consent platform found: 1 cookie before consent, 0 after reject, "
        "2 third-party hosts, 3 pages"
    )
    assert len(line) <= 100
