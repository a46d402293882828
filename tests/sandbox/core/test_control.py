"""The core's control API (health, reset, request log) and the ``Sandbox`` process wrapper."""

from __future__ import annotations

import socket

import httpx
import pytest

from infra.sandbox.core.client import Sandbox, SandboxError


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
