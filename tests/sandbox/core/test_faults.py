"""Fault injection, seen through the real notion-client and plain httpx."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.client import RetryOptions

from infra.sandbox.core.client import Sandbox, SandboxError

QUERY = r"^/notion/v1/data_sources/.*/query$"


def at(record: dict) -> datetime:
    return datetime.fromisoformat(record["at"].replace("Z", "+00:00"))


@pytest.fixture
def db(sb: Sandbox) -> dict:
    return sb.notion.create_database([{"name": "a", "url": "https://x.test/a", "status": "New"}])


def test_429_with_retry_after_is_honoured_by_the_client_retry(sb: Sandbox, db: dict) -> None:
    sb.add_fault(QUERY, status=429, retry_after=1, times=1)
    notion = Client(auth="test-token", base_url=sb.notion.base_url)  # default retry options

    started = time.monotonic()
    answer = notion.data_sources.query(data_source_id=db["data_source_id"])
    elapsed = time.monotonic() - started

    assert [p["id"] for p in answer["results"]] == db["page_ids"]
    assert elapsed >= 0.95, "the client waited for Retry-After"
    log = sb.requests(QUERY)
    assert [r["status"] for r in log] == [429, 200]
    assert log[0]["fault_id"] is not None and log[1]["fault_id"] is None
    assert (at(log[1]) - at(log[0])).total_seconds() >= 0.95


def test_429_body_and_header_are_notion_shaped(sb: Sandbox, db: dict) -> None:
    sb.add_fault(r"^/notion/", status=429, retry_after=7)
    answer = httpx.get(f"{sb.notion.base_url}/v1/databases/{db['database_id']}")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "7"
    body = answer.json()
    assert body["object"] == "error" and body["status"] == 429
    assert body["code"] == "rate_limited" and body["message"]


def test_retries_give_up_and_5xx_on_patch_is_not_retried(sb: Sandbox, db: dict) -> None:
    notion = Client(
        auth="test-token",
        base_url=sb.notion.base_url,
        retry=RetryOptions(max_retries=2, initial_retry_delay_ms=10, max_retry_delay_ms=50),
    )
    sb.add_fault(QUERY, status=429, retry_after=0)
    with pytest.raises(APIResponseError) as caught:
        notion.data_sources.query(data_source_id=db["data_source_id"])
    assert caught.value.code == "rate_limited"
    assert len(sb.requests(QUERY)) == 3, "first try + 2 retries"

    sb.clear_faults()
    sb.add_fault(r"^/notion/v1/databases/", method="GET", status=503, times=1)
    assert notion.databases.retrieve(database_id=db["database_id"])["id"] == db["database_id"]
    assert [r["status"] for r in sb.requests("/databases/")] == [503, 200]

    sb.add_fault(r"^/notion/v1/pages/", method="PATCH", status=500)
    with pytest.raises(APIResponseError) as caught:
        notion.pages.update(page_id=db["page_ids"][0], properties={"Size": {"number": 1}})
    assert caught.value.code == "internal_server_error" and caught.value.status == 500
    assert len(sb.requests("/pages/")) == 1, "PATCH is not idempotent, so not retried"
    assert sb.notion.page(db["page_ids"][0])["history"] == [], "the handler never ran"


def test_malformed_json(sb: Sandbox, db: dict) -> None:
    sb.add_fault(QUERY, malformed=True, times=1)
    notion = Client(auth="test-token", base_url=sb.notion.base_url)
    with pytest.raises(json.JSONDecodeError):
        notion.data_sources.query(data_source_id=db["data_source_id"])
    assert [r["status"] for r in sb.requests(QUERY)] == [200]
    assert notion.data_sources.query(data_source_id=db["data_source_id"])["results"]


def test_delay_is_pure_latency(sb: Sandbox, db: dict) -> None:
    sb.add_fault(r"^/notion/v1/databases/", delay_ms=400, times=1)
    notion = Client(auth="test-token", base_url=sb.notion.base_url)
    started = time.monotonic()
    assert notion.databases.retrieve(database_id=db["database_id"])["object"] == "database"
    assert time.monotonic() - started >= 0.39
    [record] = sb.requests("/databases/")
    assert record["status"] == 200 and record["duration_ms"] >= 390 and record["fault_id"]


def test_rule_matching_order_method_and_times(sb: Sandbox) -> None:
    url = sb.media.url("files/a.jpg")
    first = sb.add_fault(r"^/media/files/a\.jpg$", method="POST", status=418)
    second = sb.add_fault(r"/files/", status=503, times=2)
    third = sb.add_fault(r"\.jpg$", status=500, times=1)
    statuses = [httpx.get(url).status_code for _ in range(5)]
    assert statuses == [503, 503, 500, 200, 200]
    rules = {rule["id"]: rule for rule in sb.faults()}
    assert rules[first]["hits"] == 0 and rules[first]["active"]
    assert rules[second]["hits"] == 2 and not rules[second]["active"]
    assert rules[third]["hits"] == 1 and not rules[third]["active"]
    assert [r["status"] for r in sb.requests("a.jpg")] == statuses
    answer = httpx.get(url.replace("a.jpg", "b.jpg"))
    assert answer.status_code == 200

    sb.add_fault(r"/files/", status=502, retry_after=3)
    faulted = httpx.get(url)
    assert faulted.status_code == 502 and faulted.headers["retry-after"] == "3"
    assert faulted.json()["error"] == "injected fault"
    sb.clear_faults()
    assert sb.faults() == [] and httpx.get(url).status_code == 200


def test_control_paths_are_never_faulted(sb: Sandbox) -> None:
    sb.add_fault(r".*", status=500)
    sb.add_fault(r"^/_sandbox", status=500)
    assert httpx.get(f"{sb.base_url}/_sandbox/health").json() == {"ok": True}
    assert sb.requests() == []
    assert httpx.get(sb.media.url("files/x.png")).status_code == 500


def test_invalid_rules_are_rejected(sb: Sandbox) -> None:
    with pytest.raises(SandboxError, match="422"):
        sb.add_fault(r"(unclosed", status=500)
    with pytest.raises(SandboxError, match="422"):
        sb.add_fault(r"x", status=42)


def test_an_injected_fault_looks_like_an_error_of_the_service_it_hits(sb: Sandbox) -> None:
    sb.add_fault(r"^/(notion|media|nowhere)/", method="GET", status=503)
    notion = httpx.get(f"{sb.notion.base_url}/v1/databases/{'0' * 32}")
    assert notion.status_code == 503
    body = notion.json()
    assert body["object"] == "error" and body["status"] == 503
    assert body["code"] == "service_unavailable" and "injected" in body["message"]
    for url in (sb.media.url("files/a.mp4"), f"{sb.base_url}/nowhere/x"):
        answer = httpx.get(url)
        assert answer.status_code == 503
        assert answer.json() == {"error": "injected fault", "status": 503, "fault_id": "fault-1"}

    sb.add_fault(r"^/(notion|media)/", method="POST", malformed=True)
    notion_cut = httpx.post(f"{sb.notion.base_url}/v1/data_sources/{'0' * 32}/query", json={})
    media_cut = httpx.post(sb.media.url("files/a.mp4"))
    assert notion_cut.content.startswith(b'{"object": "list", "results": [')
    assert media_cut.content == b'{"ok": tr'
    for answer in (notion_cut, media_cut):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
