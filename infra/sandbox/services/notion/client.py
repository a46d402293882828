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
        """Create a database; ``extra`` may hold ``schema``, ``database_id``, ``data_source_id``,
        ``allow_new_options`` (False: PATCHes may not add select options),
        ``child_data_sources`` (N: a wiki, whose query lists N data sources among the pages)
        and ``extra_data_sources``: ``[{"name", "rows", "schema", "data_source_id",
        "child_data_sources"}]`` (only ``name`` required), data sources after the first,
        each with its own schema and rows.

        Returns ``{"database_id", "data_source_id", "page_ids", "child_data_source_ids",
        "data_sources"}``: the first data source's ids (pages in row order), then ``{"id",
        "name", "page_ids", "child_data_source_ids"}`` for every data source, the first
        included.
        """
        body = {"token": token, "title": title, "rows": rows, **extra}
        return self._call("POST", "/databases", json=body)

    def page(self, page_id: str) -> dict[str, Any]:
        """``{"page": <page object>, "history": [{"at", "properties"}, ...]}``."""
        return self._call("GET", f"/pages/{page_id}")

    def pages(self, database_id: str) -> list[dict[str, Any]]:
        """``page`` for every page of a database, in created order."""
        return self._call("GET", f"/databases/{database_id}/pages")
