"""The cookie scanner through a real server, `prefect deploy --all`, process workers and
`prefect deployment run`, on the PostgreSQL app database: the sync from the sandbox's
schedule API reconciled into domain schedules, one real scan of a sandbox consent site
with its verdicts and execution row, the cleanup; and two workers racing for one domain."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import create_engine, insert, select

from blocks.cookie_scan import CookieScanner
from flows.common.times import utcnow
from flows.cookie_scan import (
    CLEANUP_DEPLOYMENT,
    PHASES,
    SCAN_DEPLOYMENT,
    SCANNER_BLOCK,
    SYNC_DEPLOYMENT,
    schedule_slug,
)
from flows.cookie_scan.tables import (
    cookie_job_executions,
    cookie_scan_cookies,
    cookie_scan_phases,
    cookie_scans,
)
from flows.cookie_scan.workflow import DEMO_SITES
from infra.sandbox.services.consent.sites import SITES

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("stack-a")]


def synced(live) -> None:
    """The sync has run once on this stack (the first test to need it runs it)."""
    run = live.wait_final(live.run_deployment(name=SYNC_DEPLOYMENT), timeout=300)
    assert run.state.name == "Completed", run.state.message


def executions_of(engine, run_ids: list[UUID]) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(cookie_job_executions).where(
                cookie_job_executions.c.job_id.in_([str(r) for r in run_ids])
            )
        ).mappings()
        return {row["job_id"]: dict(row) for row in rows}


def test_sync_reconcile_scan_and_cleanup_through_the_real_stack(live):
    synced(live)
    deployment = live.api(lambda c: c.read_deployment_by_name(SCAN_DEPLOYMENT))
    slugs = {s.slug: s for s in deployment.schedules}
    for site in DEMO_SITES:
        assert schedule_slug(site) in slugs, f"no schedule for {site}: {sorted(slugs)}"
        assert slugs[schedule_slug(site)].parameters == {"domain_config_id": site}

    run_id = live.run_deployment("domain_config_id=demo-onetrust", name=SCAN_DEPLOYMENT)
    run = live.wait_final(run_id, timeout=300)
    assert run.state.name == "Completed", run.state.message
    site = next(s for s in SITES if s.domain_config_id == "demo-onetrust")
    assert run.state.message.startswith(f"{site.platform}: "), run.state.message

    engine = create_engine(live.pg_url)
    try:
        (execution,) = executions_of(engine, [run_id]).values()
        with engine.connect() as conn:
            scan = (
                conn.execute(
                    select(cookie_scans).where(cookie_scans.c.scan_id == execution["scan_id"])
                )
                .mappings()
                .one()
            )
            phases = {
                row["phase"]: row
                for row in conn.execute(
                    select(cookie_scan_phases).where(
                        cookie_scan_phases.c.scan_id == scan["scan_id"]
                    )
                ).mappings()
            }
            jars: dict[str, set] = {phase: set() for phase in PHASES}
            for c in conn.execute(
                select(cookie_scan_cookies).where(cookie_scan_cookies.c.scan_id == scan["scan_id"])
            ).mappings():
                jars[c["phase"]].add((c["domain"].lstrip("."), c["name"]))
    finally:
        engine.dispose()

    # the job execution row of this run
    assert execution["status"] == "completed"
    assert execution["domain_config_id"] == "demo-onetrust"
    assert execution["domain"] == "news-onetrust.test"
    assert execution["schedule_id"] is not None
    assert execution["duration_seconds"] > 0 and execution["error_message"] is None
    assert execution["metadata"]["flow_run_id"] == str(run_id)
    assert execution["metadata"]["deployment"] == SCAN_DEPLOYMENT
    assert execution["metadata"]["schedule"] is None  # run by hand, not by its schedule

    # the scan's stored verdicts: what the sandbox site was built to produce
    assert scan["status"] == "completed" and scan["consent_platform"] == site.platform
    assert set(phases) == set(PHASES)
    for phase in PHASES:
        assert jars[phase] == set(getattr(site, phase)), phase
    findings = scan["findings"]
    flagged = {(c["domain"].lstrip("."), c["name"]) for c in findings["cookies_before_consent"]}
    assert flagged == set(site.cookies_before_consent) and flagged
    assert findings["third_party_hosts"]["accept"] == sorted(site.third_party_hosts["accept"])

    artifacts = live.api(
        lambda c: c.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    )
    assert any(a.key == "cookie-scan-demo-onetrust" for a in artifacts)

    # the cleanup: an execution and a scan from half a year ago go, this run's stay
    engine = create_engine(live.pg_url)
    old_scan, old_execution = str(uuid.uuid4()), str(uuid.uuid4())
    long_ago = utcnow() - timedelta(days=180)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(cookie_scans).values(
                    scan_id=old_scan,
                    domain_config_id="demo-onetrust",
                    domain="news-onetrust.test",
                    url="http://news-onetrust.test/",
                    status="completed",
                    started_at=long_ago,
                    pages_visited=1,
                    findings={},
                )
            )
            conn.execute(
                insert(cookie_job_executions).values(
                    execution_id=old_execution,
                    job_id="old",
                    domain="news-onetrust.test",
                    domain_config_id="demo-onetrust",
                    status="completed",
                    started_at=long_ago,
                    created_at=long_ago,
                )
            )
        cleanup = live.wait_final(live.run_deployment(name=CLEANUP_DEPLOYMENT), timeout=300)
        assert cleanup.state.name == "Completed", cleanup.state.message
        with engine.connect() as conn:
            scans = set(conn.execute(select(cookie_scans.c.scan_id)).scalars())
            executions = set(conn.execute(select(cookie_job_executions.c.execution_id)).scalars())
    finally:
        engine.dispose()
    assert old_scan not in scans and scan["scan_id"] in scans
    assert old_execution not in executions and execution["execution_id"] in executions
    assert "deleted 1 execution(s), 1 scan(s)" in cleanup.state.message


RACE_POOL = "cookie-race"


def _workers_online(live, names: set[str]) -> bool:
    url = f"{live.stack.api_url}/work_pools/{RACE_POOL}/workers/filter"
    found = {w["name"] for w in httpx.post(url, json={}, timeout=5).json()}
    return names <= found


def test_two_workers_racing_for_one_domain_run_exactly_one_scan(live):
    """Two `prefect worker start` processes, one run each, the same domain at once: one
    scans, the other ends Cancelled with the busy reason, and no scan is queued."""
    synced(live)
    with temporary_settings(updates={PREFECT_API_URL: live.stack.api_url}):
        original = CookieScanner.load(SCANNER_BLOCK)
    # a slower settle makes each scan last long enough for the two runs to overlap
    live.save_block(original.model_copy(update={"settle_seconds": 4.0}), SCANNER_BLOCK)
    live.stack.prefect("work-pool", "create", RACE_POOL, "--type", "process", "--overwrite")
    live.stack.prefect(
        "--no-prompt",
        "deploy",
        "flows/cookie_scan/flow.py:cookie_scan",
        "--name",
        "race",
        "--pool",
        RACE_POOL,
    )
    names = {"race-1", "race-2"}
    try:
        for name in sorted(names):
            live.stack.start(
                name,
                [
                    "env",
                    "PREFECT_WORKER_QUERY_SECONDS=1",  # both pick their run up at once
                    sys.executable,
                    *("-m", "prefect", "worker", "start", "--pool", RACE_POOL),
                    *("--type", "process", "--name", name, "--limit", "1"),
                ],
                lambda name=name: _workers_online(live, {name}),
            )
        started = utcnow()
        run_ids = [
            live.run_deployment("domain_config_id=demo-cookiebot", name="cookie-scan/race")
            for _ in range(2)
        ]
        runs = [live.wait_final(run_id, timeout=300) for run_id in run_ids]
    finally:
        for name in sorted(names):
            live.stack.stop(name)
        live.save_block(original, SCANNER_BLOCK)

    by_state = {run.state.name: run for run in runs}
    assert sorted(by_state) == ["Cancelled", "Completed"], [
        (r.state.name, r.state.message) for r in runs
    ]
    busy = by_state["Cancelled"]
    assert busy.state.message.startswith("skipped: domain busy")
    assert "cookie-scan:domain-demo-cookiebot" in busy.state.message
    # each worker ran one of the two runs
    logs = [(live.stack.run_dir / f"{name}.log").read_text() for name in sorted(names)]
    for log in logs:
        assert sum(str(run_id) in log for run_id in run_ids) == 1, log[-2000:]

    engine = create_engine(live.pg_url)
    try:
        rows = executions_of(engine, run_ids)
        with engine.connect() as conn:
            scans = conn.execute(
                select(cookie_scans.c.scan_id).where(
                    cookie_scans.c.domain_config_id == "demo-cookiebot",
                    cookie_scans.c.started_at >= started - timedelta(seconds=5),
                )
            ).all()
    finally:
        engine.dispose()
    assert rows[str(by_state["Completed"].id)]["status"] == "completed"
    assert rows[str(busy.id)]["status"] == "skipped"
    assert rows[str(busy.id)]["error_message"] == busy.state.message
    assert len(scans) == 1, "exactly one scan ran"
