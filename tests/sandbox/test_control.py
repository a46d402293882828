"""The control API, seeds, webhooks and the ``Sandbox`` process wrapper."""

from __future__ import annotations

import socket

import httpx
import pytest
from notion_client import Client

from infra.sandbox.core.client import Sandbox, SandboxError
from infra.sandbox.services.notion.seeds import DEMO_DATA_SOURCE_ID, DEMO_DATABASE_ID, DEMO_TOKEN


def test_health_and_docs(sb: Sandbox) -> None:
    assert httpx.get(f"{sb.base_url}/_sandbox/health").json() == {"ok": True}
    assert httpx.get(f"{sb.base_url}/_sandbox/openapi.json").status_code == 200


def test_reset_forgets_everything(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a"}])
    sb.add_fault("nothing-matches", status=500)
    httpx.post(f"{sb.base_url}/webhooks/hook", json={"x": 1})
    assert sb.requests() and sb.webhooks.deliveries("hook") and sb.faults()

    sb.reset()
    assert sb.requests() == [] and sb.webhooks.deliveries("hook") == [] and sb.faults() == []
    with pytest.raises(SandboxError, match="404"):
        sb.notion.pages(made["database_id"])
    with pytest.raises(SandboxError, match="404"):
        sb.notion.page(made["page_ids"][0])


def test_create_database_options_and_errors(sb: Sandbox) -> None:
    fixed = "11111111-2222-4333-8444-555555555555"
    made = sb.notion.create_database(
        [{"name": "a", "URL": "https://x.test", "Status": "Done", "Size": 2.5}],
        token="t1",
        title="Mine",
        database_id=fixed,
    )
    assert made["database_id"] == fixed and len(made["page_ids"]) == 1
    [entry] = sb.notion.pages(fixed)
    props = entry["page"]["properties"]
    assert props["URL"]["url"] == "https://x.test" and props["Size"]["number"] == 2.5
    assert props["Status"]["status"]["name"] == "Done" and entry["history"] == []

    again = sb.notion.create_database([], token="t2", database_id=fixed)
    assert sb.notion.pages(fixed) == [] and again["database_id"] == fixed, "replaced"

    for rows, extra, mentioned in [
        ([{"Nope": 1}], {}, "Nope"),
        ([{"status": "Bogus"}], {}, "Bogus"),
        ([{"Size": "many"}], {}, "Size"),
        ([], {"schema": {"A": "url"}}, "title"),
        ([], {"schema": {"A": "title", "B": "date"}}, "date"),
        ([], {"database_id": "nope"}, "uuid"),
    ]:
        with pytest.raises(SandboxError, match=mentioned):
            sb.notion.create_database(rows, **extra)


def test_history_lists_every_patch_in_order(sb: Sandbox) -> None:
    made = sb.notion.create_database([{"name": "a", "status": "New"}])
    notion = Client(auth="test-token", base_url=sb.notion.base_url)
    for name in ("Processing", "Done"):
        notion.pages.update(
            page_id=made["page_ids"][0], properties={"Status": {"status": {"name": name}}}
        )
    history = sb.notion.pages(made["database_id"])[0]["history"]
    assert [h["properties"]["Status"]["status"]["name"] for h in history] == ["Processing", "Done"]
    assert history[0]["at"] < history[1]["at"]


def test_demo_seed_through_the_control_api(sb: Sandbox) -> None:
    first = sb.seed("demo")["notion"]
    assert first["database_id"] == DEMO_DATABASE_ID
    assert first["data_source_id"] == DEMO_DATA_SOURCE_ID
    again = sb.seed("demo")["notion"]
    assert len(sb.notion.pages(DEMO_DATABASE_ID)) == len(again["page_ids"]), "re-seeding replaces"
    with pytest.raises(SandboxError, match="404"):
        sb.seed("nope")


def test_demo_seed_on_start_points_at_its_own_process() -> None:
    with Sandbox.start(seed="demo") as demo:
        notion = Client(auth=DEMO_TOKEN, base_url=demo.notion.base_url)
        db = notion.databases.retrieve(database_id=DEMO_DATABASE_ID)
        assert db["data_sources"][0]["id"] == DEMO_DATA_SOURCE_ID
        pages = notion.data_sources.query(data_source_id=DEMO_DATA_SOURCE_ID)["results"]
        urls = [p["properties"]["URL"]["url"] for p in pages]
        statuses = [p["properties"]["Status"]["status"]["name"] for p in pages]
        assert 9 <= len(pages) <= 12
        assert None in urls and "Done" in statuses and "New" in statuses
        linked = [u for u in urls if u]
        assert all(u.startswith(demo.base_url + "/media/") for u in linked)
        kinds = {u.split("/media/")[1].split("/")[0] for u in linked}
        assert kinds == {"files", "pages", "gone", "forbidden", "login", "fake", "truncated"}
        assert any(u.endswith(".jpg") for u in linked) and any(u.endswith(".mp4") for u in linked)
        process = demo.process
    assert process.poll() is not None, "stopped on leaving the with block"


def test_webhooks_record_json_and_text(sb: Sandbox) -> None:
    hook = f"{sb.base_url}/webhooks/alerts"
    assert httpx.post(hook, json={"msg": "hi"}, headers={"X-Token": "s3"}).json() == {"ok": True}
    httpx.post(hook, content=b"plain words", headers={"Content-Type": "text/plain"})
    first, second = sb.webhooks.deliveries("alerts")
    assert first["body"] == {"msg": "hi"} and first["json"] is True
    assert first["headers"]["x-token"] == "s3"
    assert second["body"] == "plain words" and second["json"] is False
    assert sb.webhooks.deliveries("other") == []


def test_request_log_filtering(sb: Sandbox) -> None:
    httpx.get(sb.media.url("files/a.png"))
    httpx.get(sb.media.url("files/b.png"), params={"q": "1"})
    httpx.head(sb.media.url("files/a.png"))
    records = sb.requests()
    assert [(r["method"], r["path"], r["query"]) for r in records] == [
        ("GET", "/media/files/a.png", ""),
        ("GET", "/media/files/b.png", "q=1"),
        ("HEAD", "/media/files/a.png", ""),
    ]
    assert [r["status"] for r in sb.requests(r"a\.png$")] == [200, 200]
    sb.clear_requests()
    assert sb.requests() == []


def test_start_reports_a_dead_process_with_its_log() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError, match=r"(?i)address already in use"):
            Sandbox.start(port=port)
