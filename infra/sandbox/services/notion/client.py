"""``sb.notion``: the fake Notion's URL and its control calls."""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import ServiceClient


class NotionClient(ServiceClient):
    """``base_url`` is what to pass as ``base_url`` to ``notion_client.Client``."""

    def create_database(
        self,
        rows: list[dict[str, Any]],
        token: str = "test-token",
        title: str = "Saved links",
        **extra: Any,
    ) -> dict[str, Any]:
        """Create a database; ``extra`` may hold ``schema``, ``database_id``, ``data_source_id``.

        Returns ``{"database_id", "data_source_id", "page_ids"}`` (page ids in row order).
        """
        body = {"token": token, "title": title, "rows": rows, **extra}
        return self._call("POST", "/databases", json=body)

    def page(self, page_id: str) -> dict[str, Any]:
        """``{"page": <page object>, "history": [{"at", "properties"}, ...]}``."""
        return self._call("GET", f"/pages/{page_id}")

    def pages(self, database_id: str) -> list[dict[str, Any]]:
        """``page`` for every page of a database, in created order."""
        return self._call("GET", f"/databases/{database_id}/pages")
