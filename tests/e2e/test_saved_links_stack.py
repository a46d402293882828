"""saved-links through a real server, `prefect deploy --all`, a process worker and
`prefect deployment run`, with the sandbox's Notion rows checked afterwards."""

from __future__ import annotations

import os
import signal
import uuid

import httpx
import pytest
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from pydantic import SecretStr

from blocks.notion import NotionLinksSource
from flows.common.browser import launch_chromium

# one live stack per group, each group on one pytest worker (Makefile: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack-a")]

TERMINAL = {"Done", "Failed"}


def notion_pages(live, database_id: str) -> list[dict]:
    url = f"{live.stack.sandbox_url}/_sandbox/notion/databases/{database_id}/pages"
    return httpx.get(url, timeout=10).json()


def status_of(entry: dict) -> str | None:
    value = entry["page"]["properties"]["Status"]["status"]
    return value["name"] if value else None


def text_of(entry: dict, name: str) -> str:
    prop = entry["page"]["properties"][name]
    return "".join(i["plain_text"] for i in prop[prop["type"]])


def terminal_writes(entry: dict) -> list[str]:
    names = []
    for change in entry["history"]:
        status = change["properties"].get("Status", {}).get("status")
        if status and status["name"] in TERMINAL:
            names.append(status["name"])
    return names


def own_database(live, rows: list[dict]) -> str:
    """A fresh Notion database in the sandbox, with the deployment's block pointing at it."""
    token = "e2e-" + uuid.uuid4().hex
    made = httpx.post(
        f"{live.stack.sandbox_url}/_sandbox/notion/databases",
        json={"token": token, "title": "e2e", "rows": rows},
        timeout=10,
    ).json()
    block = NotionLinksSource(
        token=SecretStr(token),
        database_id=made["database_id"],
        base_url=f"{live.stack.sandbox_url}/notion",
    )
    live.save_block(block, "saved-links")
    return made["database_id"]


def demo_database(live) -> str:
    """Point the deployment's block back at the demo database (other tests move it)."""
    env = live.sandbox_env
    block = NotionLinksSource(
        token=SecretStr(env["NOTION_TOKEN"]),
        database_id=env["NOTION_DATABASE_ID"],
        base_url=env["NOTION_BASE_URL"],
    )
    live.save_block(block, "saved-links")
    return env["NOTION_DATABASE_ID"]


def test_the_deployed_flow_processes_the_demo_database(live):
    database_id = demo_database(live)
    run_id = live.run_deployment("pause_seconds=0")
    run = live.wait_final(run_id)

    assert run.state.name == "Completed", run.state.message
    assert run.name.split("-")[0] in {"morning", "noon", "night"}
    pages = notion_pages(live, database_id)
    rows = {text_of(p, "Name"): p for p in pages if p["page"]["properties"]["URL"]["url"]}
    truncated = rows.pop("Truncated download")
    assert status_of(truncated) == "New", "a transient failure waits for the next run"
    assert text_of(truncated, "Error").endswith("(run 1 of 3)")
    inside = rows["Cloud metadata (inside the network)"]
    assert status_of(inside) == "Failed"
    assert text_of(inside, "Error") == (
        "Refused: refused: 169.254.169.254 is a link-local address (cloud metadata lives there)"
    )
    assert all(status_of(p) in TERMINAL for p in rows.values())
    assert any(status_of(p) == "Done" for p in rows.values())
    assert list((live.stack.data_dir / "links").rglob("*.mp4"))


def test_a_second_run_while_one_runs_is_cancelled_and_touches_nothing(live):
    media = f"{live.stack.sandbox_url}/media/files"
    own_database(live, [{"url": f"{media}/c{i}.mp4"} for i in range(3)])
    first = live.run_deployment("pause_seconds=5")
    live.wait(first, lambda r: r.state.is_running(), timeout=120)
    second = live.run_deployment("pause_seconds=0")

    second_run = live.wait_final(second)
    assert second_run.state.name == "Cancelled"
    task_runs = live.api(
        lambda c: c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[second])))
    )
    assert task_runs == [], "the cancelled run must not have started any task"
    assert live.wait_final(first).state.name == "Completed"


def slow_batch_under_way(live, prefix: str, rows: int, done: int, pause: float):
    """A database of `rows` links whose media answer slowly, a run started on it, and
    returned once `done` rows are Done: a kill now lands in the middle of the batch.
    Returns the database id and the run id."""
    media = f"{live.stack.sandbox_url}/media/files"
    database_id = own_database(live, [{"url": f"{media}/{prefix}{i}.mp4"} for i in range(rows)])
    httpx.post(
        f"{live.stack.sandbox_url}/_sandbox/faults",
        json={"path": rf"^/media/files/{prefix}", "delay_ms": 400},
    ).raise_for_status()
    run_id = live.run_deployment(f"pause_seconds={pause}")
    live.wait(
        run_id,
        lambda r: sum(status_of(p) == "Done" for p in notion_pages(live, database_id)) >= done,
        timeout=120,
    )
    return database_id, run_id


def test_a_run_killed_mid_batch_is_finished_by_the_next_without_double_work(live):
    database_id, first = slow_batch_under_way(live, "k", rows=6, done=2, pause=1)
    sandbox = live.stack.sandbox_url
    run = live.api(lambda c: c.read_flow_run(first))
    pid = int(run.infrastructure_pid.rsplit(":", 1)[-1])  # "host:pid" or "pid"
    os.kill(pid, signal.SIGKILL)
    crashed = live.wait_final(first)
    assert crashed.state.name == "Crashed"
    done_before = {
        p["page"]["properties"]["URL"]["url"].rsplit("/", 1)[1]
        for p in notion_pages(live, database_id)
        if status_of(p) == "Done"
    }
    httpx.delete(f"{sandbox}/_sandbox/faults").raise_for_status()
    httpx.delete(f"{sandbox}/_sandbox/requests").raise_for_status()

    second = live.run_deployment("pause_seconds=0")
    assert live.wait_final(second).state.name == "Completed"

    pages = notion_pages(live, database_id)
    assert all(status_of(p) == "Done" for p in pages)
    assert all(terminal_writes(p) == ["Done"] for p in pages), "each row written back once"
    refetched = httpx.get(f"{sandbox}/_sandbox/requests", params={"path": "^/media/files/k"}).json()
    again = {r["path"].rsplit("/", 1)[1] for r in refetched if r["method"] == "GET"}
    assert not (again & done_before), f"finished media fetched again: {again & done_before}"
    files = list((live.stack.data_dir / "links" / "direct").glob("k*.mp4"))
    assert len(files) == 6 and len({f.name for f in files}) == 6


def test_the_prefect_ui_shows_the_deployment_in_headless_chromium(live):
    from playwright.sync_api import sync_playwright

    # The deployment's own page: the list pages through 17 deployments, so a name
    # may be on its second page.
    deployment = live.api(lambda c: c.read_deployment_by_name("saved-links/three-times-daily"))
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(
                f"{live.stack.ui_url}/deployments/deployment/{deployment.id}",
                wait_until="networkidle",
            )
            page.get_by_text("three-times-daily").first.wait_for(timeout=30_000)
            assert "Prefect" in page.title()
        finally:
            browser.close()
