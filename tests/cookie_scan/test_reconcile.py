"""The database reconciled into a deployment's schedules on a real (test) Prefect server:
create, update, disable, delete by slug; nothing changed means no write; a pause made
in the UI holds until the database changes its mind; 100 changes stay within 300 calls.

Requests are counted with an httpx event hook on the Prefect client: what is counted is
what was sent, not what the code meant to send.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from sqlalchemy import Engine, update

from flows.cookie_scan.reconcile import DeploymentMissing, plan, reconcile
from flows.cookie_scan.schedules import add, change, delete_schedule, set_enabled, upsert_entries
from flows.cookie_scan.tables import cookie_schedules
from flows.cookie_scan.validation import check_entries
from infra.sandbox.services.cookieapi.seeds import SITES, demo_entries, entry, generated


@dataclass
class Counted:
    client: SyncPrefectClient
    requests: list[str] = field(default_factory=list)

    def sent(self) -> list[str]:
        """Requests our code made. The client's own retry (after a 503 from a busy SQLite
        server, or a timeout with no answer at all) repeats the same request before any
        success, and is the client's, not another call of ours."""
        made: list[str] = []
        previous, answered_ok = "", True
        for r in self.requests:
            if r.startswith("ANSWER"):
                answered_ok = int(r.split(" ", 2)[1]) < 400
                continue
            if not (r == previous and not answered_ok):
                made.append(r)
            previous, answered_ok = r, False
        return made

    def writes(self) -> list[str]:
        return [r for r in self.sent() if not r.startswith("GET")]

    def calls(self) -> int:
        return len(self.sent())


@pytest.fixture
def prefect(prefect_harness) -> Iterator[Counted]:
    sent: list[str] = []

    def hook(request: httpx.Request) -> None:
        sent.append(f"{request.method} {request.url.path}")

    def answered(response: httpx.Response) -> None:
        sent.append(f"ANSWER {response.status_code} {response.request.url.path}")

    hooks = {"request": [hook], "response": [answered]}
    with get_client(sync_client=True, httpx_settings={"event_hooks": hooks}) as c:
        counted = Counted(c, sent)
        yield counted


@pytest.fixture
def deployment(prefect: Counted) -> str:
    """A fresh deployment of a flow named like the scan's, so tests never share schedules."""
    name = f"per-domain-{uuid.uuid4().hex[:8]}"
    flow_id = prefect.client.create_flow_from_name("cookie-scan")
    prefect.client.create_deployment(flow_id=flow_id, name=name)
    return f"cookie-scan/{name}"


def run(engine: Engine, prefect: Counted, deployment: str):
    prefect.requests.clear()
    return reconcile(engine, prefect.client, deployment)


def schedules(prefect: Counted, deployment: str) -> dict:
    found = prefect.client.read_deployment_by_name(deployment).schedules
    return {s.slug: s for s in found}


def synced(engine: Engine, raw: list) -> None:
    with engine.begin() as conn:
        upsert_entries(conn, check_entries(raw))


def test_rows_become_schedules_and_a_second_reconcile_writes_nothing(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    synced(engine, demo_entries())
    first = run(engine, prefect, deployment)
    assert (first.created, first.updated, first.deleted) == (6, 0, 0)
    batch = f"POST /api/deployments/{_id(prefect, deployment)}/schedules"
    assert prefect.writes() == [batch], prefect.requests
    made = schedules(prefect, deployment)
    assert set(made) == {f"domain-{i}" for i in SITES}
    cookiebot = made["domain-demo-cookiebot"]
    assert cookiebot.schedule == CronSchedule(cron="30 3 * * 1", timezone="Europe/Berlin")
    assert cookiebot.parameters == {"domain_config_id": "demo-cookiebot"}
    assert cookiebot.active is True
    ids = {slug: s.id for slug, s in made.items()}
    updated_before = prefect.client.read_deployment_by_name(deployment).updated

    again = run(engine, prefect, deployment)
    assert prefect.writes() == [], "nothing changed: no write"
    assert prefect.calls() == 1 and again.unchanged == 6
    assert {slug: s.id for slug, s in schedules(prefect, deployment).items()} == ids
    assert prefect.client.read_deployment_by_name(deployment).updated == updated_before


def test_changes_disables_and_deletions_reach_prefect(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    synced(engine, demo_entries())
    run(engine, prefect, deployment)
    ids = {slug: s.id for slug, s in schedules(prefect, deployment).items()}

    moved = demo_entries()
    moved[0]["data"]["schedule"]["time"]["hour"] = 5  # demo-onetrust
    moved = [e for e in moved if e.get("domain_config_id") != "demo-tcf"]  # disabled
    synced(engine, moved)
    with engine.begin() as conn:
        delete_schedule(conn, "demo-didomi")  # by the command (or SQL)
    result = run(engine, prefect, deployment)
    assert (result.created, result.updated, result.deleted) == (0, 2, 1)
    assert result.deactivated == 1 and len(prefect.writes()) == 3
    now = schedules(prefect, deployment)
    assert "domain-demo-didomi" not in now
    assert now["domain-demo-onetrust"].schedule.cron == "0 5 * * *"
    assert now["domain-demo-onetrust"].id == ids["domain-demo-onetrust"], "updated in place"
    assert now["domain-demo-tcf"].active is False, "disabled: kept, inactive"
    assert now["domain-demo-tcf"].id == ids["domain-demo-tcf"]
    assert run(engine, prefect, deployment).counts()["requests"] == 1


def test_a_pause_in_the_ui_holds_until_the_database_changes_its_mind(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    synced(engine, demo_entries())
    run(engine, prefect, deployment)
    dep_id = _id(prefect, deployment)
    paused = schedules(prefect, deployment)["domain-demo-generic"]
    prefect.client.update_deployment_schedule(dep_id, paused.id, active=False)  # the UI's pause

    changed = demo_entries()
    changed[5]["data"]["schedule"]["time"]["hour"] = 8  # the API moves the paused one
    synced(engine, changed)
    run(engine, prefect, deployment)
    now = schedules(prefect, deployment)["domain-demo-generic"]
    assert now.schedule.cron == "0 8 * * *" and now.active is False, "still paused"
    assert run(engine, prefect, deployment).unchanged == 6

    with engine.begin() as conn:  # the user's explicit word, through the command
        set_enabled(conn, "demo-generic", True)
    result = run(engine, prefect, deployment)
    assert result.activated == 1
    assert schedules(prefect, deployment)["domain-demo-generic"].active is True


def test_schedules_that_are_not_ours_are_left_alone(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    dep_id = _id(prefect, deployment)
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    prefect.client.create_deployment_schedules(
        dep_id,
        [
            DeploymentScheduleCreate(schedule=IntervalSchedule(interval=3600), slug="by-hand"),
            DeploymentScheduleCreate(schedule=CronSchedule(cron="0 1 * * *")),  # no slug
            DeploymentScheduleCreate(
                schedule=IntervalSchedule(interval=60), slug="domain-gone", active=True
            ),
        ],
    )
    with engine.begin() as conn:
        add(conn, entry("kept", "kept.example", "daily", {"hour": 1}))
    result = run(engine, prefect, deployment)
    assert (result.created, result.deleted) == (1, 1)
    slugs = sorted(str(s) for s in schedules(prefect, deployment))
    assert slugs == ["None", "by-hand", "domain-kept"]


def test_a_schedule_edited_in_the_ui_is_put_back(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    with engine.begin() as conn:
        add(conn, entry("one", "one.example", "daily", {"hour": 1}))
    run(engine, prefect, deployment)
    made = schedules(prefect, deployment)["domain-one"]
    prefect.client.update_deployment_schedule(
        _id(prefect, deployment), made.id, schedule=IntervalSchedule(interval=60), parameters={}
    )
    assert run(engine, prefect, deployment).updated == 1
    back = schedules(prefect, deployment)["domain-one"]
    assert back.schedule == CronSchedule(cron="0 1 * * *", timezone="UTC")
    assert back.parameters == {"domain_config_id": "one"}


def test_a_hundred_changes_cost_at_most_three_hundred_calls(
    local_app_db, prefect: Counted, deployment: str
) -> None:
    engine = local_app_db.engine
    synced(engine, generated(1000, prefix="bulk-"))
    first = run(engine, prefect, deployment)
    assert first.created == 1000 and prefect.calls() <= 3  # read + 2 batches of 500
    synced(engine, generated(1000, prefix="bulk-")[:950] + generated(50, prefix="new-"))
    with engine.begin() as conn:
        for i in range(50):
            change(conn, f"bulk-{i:06d}", {}, {"frequency": "daily", "time": {"hour": 9}})
    result = run(engine, prefect, deployment)
    # 50 moved + 50 disabled (updated), 50 created
    assert (result.updated, result.created) == (100, 50)
    assert prefect.calls() <= 300, prefect.requests
    assert run(engine, prefect, deployment).requests == 1


def test_a_missing_deployment_is_named(local_app_db, prefect: Counted) -> None:
    with pytest.raises(DeploymentMissing, match=r"'cookie-scan/nowhere'.*prefect deploy"):
        reconcile(local_app_db.engine, prefect.client, "cookie-scan/nowhere")


def test_a_broken_row_is_named_and_its_schedule_left_alone(local_app_db) -> None:
    engine = local_app_db.engine
    with engine.begin() as conn:
        add(conn, entry("ok", "ok.example", "daily", {"hour": 1}))
        add(conn, entry("sql", "sql.example", "daily", {"hour": 1}))
        conn.execute(
            update(cookie_schedules)
            .where(cookie_schedules.c.domain_config_id == "sql")
            .values(frequency="fortnightly")
        )
    from flows.cookie_scan.schedules import reconcile_rows

    with engine.connect() as conn:
        todo = plan(reconcile_rows(conn), [])
    assert [c["slug"] for c in todo.create] == ["domain-ok"]
    assert todo.invalid and todo.invalid[0][0] == "sql" and "fortnightly" in todo.invalid[0][1]
    assert todo.delete == []


def _id(prefect: Counted, deployment: str):
    return prefect.client.read_deployment_by_name(deployment).id
