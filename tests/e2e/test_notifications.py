"""Failure notifications: automations applied by the bootstrap, delivered by the real
server's automation services to the sandbox's webhook receiver."""

from __future__ import annotations

import time

import httpx
import pytest

from deployments.automations import ALERTS_BLOCK

# one live stack per group, each group on one pytest worker (Makefile: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack-a")]


def deliveries(live) -> list[dict]:
    url = f"{live.stack.sandbox_url}/_sandbox/webhooks/alerts"
    return httpx.get(url, timeout=10).json()


def test_the_bootstrap_applied_the_automations_once(live):
    found = live.api(lambda c: c.read_automations())
    names = sorted(a.name for a in found)
    assert names == ["crash zombie runs", "notify: run failed", "notify: run late"]


def test_a_failed_run_is_notified_through_the_alerts_block(live):
    run_id = live.run_deployment('streams=["north_gate"]', name="camera-download/every-10-minutes")
    run = live.wait_final(run_id)
    assert run.state.name == "Failed"

    deadline = time.monotonic() + 90
    mine = []
    while not mine and time.monotonic() < deadline:
        mine = [
            d
            for d in deliveries(live)
            if run.name in str(d["body"]) and d["body"]["subject"].endswith("Failed")
        ]
        time.sleep(1)
    assert mine, f"no notification for {run.name}: {deliveries(live)}"
    body = mine[0]["body"]
    assert body["subject"] == "camera-download/every-10-minutes: Failed"
    assert "parameter streams: ['north_gate'] not in camera portal block" in body["body"]


def test_a_parameter_outside_its_limits_is_refused_before_a_run_exists(live):
    with pytest.raises(RuntimeError, match="batch_size") as refused:
        live.run_deployment("batch_size=0", name="camera-download/every-10-minutes")
    assert "0 is less than the minimum of 1" in str(refused.value)


def test_the_webhook_url_is_kept_as_a_secret(live):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: live.stack.api_url}):
        block = CustomWebhookNotificationBlock.load(ALERTS_BLOCK)
    assert block.url == "{{alerts_url}}"
    assert "alerts" in block.secrets.get_secret_value()["alerts_url"]
    assert live.stack.sandbox_url not in str(block.model_dump())
