"""``sb.catalogue``: fill the catalogue's feeds, break them, lock them, read what came in."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class CatalogueClient(ServiceClient):
    """``base_url`` is the catalogue root: ``<base_url>/listings.rss``,
    ``<base_url>/top10/<genre>.json``..."""

    def items(
        self, items: list[dict[str, Any]], feed: str = "listings", replace: bool = False
    ) -> dict[str, Any]:
        """Add items to ``feed`` ("listings" or "top10/<genre>"); an item whose ``id`` is
        there already replaces it. Item fields: id, title, authors, series, position,
        language, isbn, link, published, genre, rank, description (all optional)."""
        return self._call("POST", "/items", json={"feed": feed, "items": items, "replace": replace})

    def raw(
        self, body: str | None, feed: str = "listings", content_type: str = "text/html"
    ) -> dict[str, Any]:
        """Serve ``body`` (200) instead of the feed; None serves the feed again."""
        return self._call(
            "POST", "/raw", json={"feed": feed, "body": body, "content_type": content_type}
        )

    def auth(
        self,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
    ) -> None:
        """Require basic credentials or a bearer token; no arguments opens every feed."""
        body = {"username": username, "password": password, "token": token}
        self._call("POST", "/auth", json={k: v for k, v in body.items() if v is not None})

    def requests(self) -> list[dict[str, Any]]:
        """Feed requests, oldest first, with the headers they carried and their status."""
        return self._call("GET", "/requests")
