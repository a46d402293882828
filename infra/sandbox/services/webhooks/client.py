"""``sb.webhooks``: what the webhook receiver got."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class WebhooksClient(ServiceClient):
    """Post to ``<base_url>/<name>``; read back with ``deliveries(name)``."""

    def deliveries(self, name: str) -> list[dict[str, Any]]:
        """Deliveries received at ``POST /webhooks/{name}`` (oldest first)."""
        return self._call("GET", f"/{name}")
