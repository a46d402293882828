"""``sb.qbittorrent``: what the fake download client was handed, and its account."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class QbittorrentClient(ServiceClient):
    """``base_url`` is the Web UI root: the API is at ``<base_url>/api/v2/...``."""

    def torrents(self) -> list[dict[str, Any]]:
        """Every torrent added, oldest first (``hash``, ``name``, ``tags``, ``url``...)."""
        return self._call("GET", "/torrents")

    def credentials(self, username: str, password: str, ban_after: int | None = None) -> None:
        """Set the account (lifts a ban, ends sessions); ``ban_after`` failed logins ban."""
        body: dict[str, Any] = {"username": username, "password": password}
        if ban_after is not None:
            body["ban_after"] = ban_after
        self._call("POST", "/credentials", json=body)

    def expire(self) -> None:
        """End every session."""
        self._call("POST", "/expire")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")
