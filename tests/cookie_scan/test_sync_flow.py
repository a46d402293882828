"""The sync flow under a test server against the sandbox's schedule API: the demo seed
synced, its invalid entries listed with their reasons, the API's change on the second
call applied, nothing written on the third; the fetch retried after an outage; a
refused token fails the run naming the URL, never the token."""

from __future__ import annotations

import uuid

import pytest
from prefect.client.orchestration import get_client
from pydantic import SecretStr

from blocks.cookie_scan import CookieScheduleApi
from flows.cookie_scan.schedules import rows
from flows.cookie_scan.sync_flow import cookie_schedule_sync
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.cookieapi.seeds import INVALID, SITES


@pytest.fixture
def deployment(prefect_harness) -> str:
    name = f"per-domain-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_deployment(flow_id=client.create_flow_from_name("cookie-scan"), name=name)
    return f"cookie-scan/{name}"


@pytest.fixture
def api_block(sb: Sandbox, save_block) -> str:
    env = sb.seed("demo")["env"]
    block = CookieScheduleApi(
        url=env["COOKIE_SCHEDULE_API_URL"], token=SecretStr(env["COOKIE_SCHEDULE_API_TOKEN"])
    )
    return save_block(block, "cookie-api")


def sync(api_block: str, app_db_block: str, deployment: str, **options):
    return cookie_schedule_sync(
        schedule_api_block=api_block,
        app_db_block=app_db_block,
        deployment=deployment,
        return_state=True,
        **options,
    )


def test_three_syncs_create_then_update_then_write_nothing(
    api_block, app_db_block, deployment, local_app_db, run_artifacts
) -> None:
    first = sync(api_block, app_db_block, deployment)
    assert first.is_completed(), first.message
    data = first.result()
    assert data["database"] == {
        "created": 6, "updated": 0, "unchanged": 0, "skipped": 4, "disabled": 0,
    }  # fmt: skip
    assert data["prefect"]["created"] == 6
    [artifact] = [a for a in run_artifacts(first) if a.key == "cookie-schedule-sync"]
    for label, reason in INVALID.items():
        line = next(row for row in artifact.data.splitlines() if row.startswith(f"| {label} |"))
        assert reason in line, label
    assert "sandbox-cookie-api-token" not in artifact.data

    second = sync(api_block, app_db_block, deployment)
    assert second.result()["database"]["updated"] == 1  # the API moved demo-generic
    assert second.result()["prefect"]["updated"] == 1
    with get_client(sync_client=True) as client:
        found = {s.slug: s for s in client.read_deployment_by_name(deployment).schedules}
    assert set(found) == {f"domain-{i}" for i in SITES}
    assert found["domain-demo-generic"].schedule.cron == "30 7 * * *"

    third = sync(api_block, app_db_block, deployment)
    assert third.result()["database"]["unchanged"] == 6
    prefect = third.result()["prefect"]
    assert prefect["requests"] == 1 and prefect["unchanged"] == 6, "one read, no write"
    with local_app_db.engine.connect() as conn:
        assert {r["domain_config_id"] for r in rows(conn)} == set(SITES)


def test_an_outage_is_retried(sb: Sandbox, api_block, app_db_block, deployment) -> None:
    sb.add_fault("/cookieapi/schedules", status=503, times=2)
    state = sync(api_block, app_db_block, deployment, retry_delay_seconds=0.1)
    assert state.is_completed(), state.message
    assert state.result()["database"]["created"] == 6
    assert [f["hits"] for f in sb.faults()] == [2]


def test_a_refused_token_fails_the_run_naming_the_url(
    sb: Sandbox, api_block, app_db_block, deployment, local_app_db
) -> None:
    sb.cookieapi.token("another-token")
    state = sync(api_block, app_db_block, deployment, retry_delay_seconds=0.1)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert "refused the token (HTTP 401)" in str(error)
    assert sb.cookieapi.url in str(error) and "sandbox-cookie-api-token" not in str(error)
    assert len(sb.cookieapi.requests()) == 1, "a refused token is not retried"
    with local_app_db.engine.connect() as conn:
        assert rows(conn) == []
