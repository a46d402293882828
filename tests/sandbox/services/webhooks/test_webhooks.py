"""The fake webhook receiver: what was posted, read back through the control API."""

from __future__ import annotations

import httpx

from infra.sandbox.core.client import Sandbox


def test_webhooks_record_json_and_text(sb: Sandbox) -> None:
    hook = f"{sb.base_url}/webhooks/alerts"
    assert httpx.post(hook, json={"msg": "hi"}, headers={"X-Token": "s3"}).json() == {"ok": True}
    httpx.post(hook, content=b"plain words", headers={"Content-Type": "text/plain"})
    first, second = sb.webhooks.deliveries("alerts")
    assert first["body"] == {"msg": "hi"} and first["json"] is True
    assert first["headers"]["x-token"] == "s3"
    assert second["body"] == "plain words" and second["json"] is False
    assert sb.webhooks.deliveries("other") == []
