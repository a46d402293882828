"""Reading saved links from a Notion data source and writing results back.

Uses notion-client with API version 2025-09-03: a database holds data sources,
and rows are queried from the data source, not from the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notion_client import APIResponseError, Client
from notion_client.helpers import iterate_paginated_api

from blocks.notion import NotionLinksSource
from flows.common.times import parse_instant
from flows.saved_links.errors import SourceConfigError
from flows.saved_links.records import Media

log = logging.getLogger(__name__)
NEW, PROCESSING, DONE, FAILED = "New", "Processing", "Done", "Failed"
STATUSES = (NEW, PROCESSING, DONE, FAILED)
TEXT_LIMIT = 2000  # Notion's limit for one rich-text item, in UTF-16 code units

# block field -> property types the flow can read or write through it
_FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "url_property": ("url", "rich_text"),
    "status_property": ("status", "select"),
    "file_property": ("rich_text",),
    "error_property": ("rich_text",),
    "platform_property": ("select", "rich_text"),
    "size_property": ("number",),
    "title_property": ("rich_text",),
}


@dataclass(frozen=True)
class LinkRow:
    """One Notion row as the flow sees it."""

    page_id: str
    url: str
    status: str | None
    last_edited: datetime


def cut_utf16(value: str, limit: int = TEXT_LIMIT) -> str:
    """At most `limit` UTF-16 code units, as Notion counts them (an emoji is two);
    a character is never split in half."""
    encoded = value.encode("utf-16-le")
    if len(encoded) <= 2 * limit:
        return value
    return encoded[: 2 * limit].decode("utf-16-le", errors="ignore")


def _text(value: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": cut_utf16(value)}}] if value else []


def _plain(items: list[dict[str, Any]] | None) -> str:
    return "".join(i.get("plain_text") or i.get("text", {}).get("content", "") for i in items or [])


class NotionSource:
    """A links source block bound to its data source and checked against its schema."""

    def __init__(self, block: NotionLinksSource, block_name: str, client: Client | None = None):
        self.block = block
        self.block_name = block_name
        self.client = client or block.client()
        self.data_source_id: str = ""
        self.types: dict[str, str] = {}

    def _config_error(self, field: str, problem: str) -> SourceConfigError:
        return SourceConfigError(f"Notion block {self.block_name!r}, field {field!r}: {problem}")

    def open(self) -> NotionSource:
        """Resolve the data source and check every configured property.

        Auth and id errors become `SourceConfigError` naming the field; rate limits,
        5xx and network errors propagate unchanged, so task retries can take them.
        """
        try:
            database = self.client.databases.retrieve(database_id=self.block.database_id)
        except APIResponseError as exc:
            if exc.code == "unauthorized":
                raise self._config_error("token", "Notion rejected the token (401).") from None
            if exc.code in ("object_not_found", "validation_error", "restricted_resource"):
                raise self._config_error(
                    "database_id",
                    f"no database {self.block.database_id!r} is shared with this "
                    f"integration ({exc.code}).",
                ) from None
            raise
        self.data_source_id = self._pick_data_source(database.get("data_sources") or [])
        schema = self.client.data_sources.retrieve(data_source_id=self.data_source_id)
        properties: dict[str, Any] = schema.get("properties", {})
        for field, allowed in _FIELD_TYPES.items():
            name = getattr(self.block, field)
            if not name:
                continue
            prop = properties.get(name)
            if prop is None:
                raise self._config_error(field, f"the database has no property {name!r}.")
            if prop["type"] not in allowed:
                raise self._config_error(
                    field, f"property {name!r} is {prop['type']}, expected {' or '.join(allowed)}."
                )
            self.types[field] = prop["type"]
        status_prop = properties[self.block.status_property]
        options = {o["name"] for o in status_prop[status_prop["type"]].get("options", [])}
        missing = [s for s in STATUSES if s not in options]
        if missing:
            raise self._config_error(
                "status_property",
                f"property {self.block.status_property!r} lacks the option(s) {missing}.",
            )
        return self

    def _pick_data_source(self, sources: list[dict[str, Any]]) -> str:
        """The block's `data_source` (name or id), or the only one there is."""
        if not sources:
            raise self._config_error("database_id", "the database has no data source.")
        wanted = (self.block.data_source or "").strip()
        listed = ", ".join(f"{s.get('name') or '(unnamed)'} ({s['id']})" for s in sources)
        if not wanted:
            if len(sources) > 1:
                raise self._config_error(
                    "data_source",
                    f"the database has {len(sources)} data sources; name one: {listed}.",
                )
            return sources[0]["id"]
        key = wanted.replace("-", "").lower()
        for source in sources:
            if key == source["id"].replace("-", "").lower() or wanted == source.get("name"):
                return source["id"]
        raise self._config_error(
            "data_source", f"no data source {wanted!r} in the database; it has: {listed}."
        )

    def candidate_filter(self) -> dict[str, Any]:
        """Rows with a link whose status is empty, New, or Processing (maybe abandoned)."""
        status, kind = self.block.status_property, self.types["status_property"]
        return {
            "and": [
                {
                    "property": self.block.url_property,
                    self.types["url_property"]: {"is_not_empty": True},
                },
                {
                    "or": [
                        {"property": status, kind: {"is_empty": True}},
                        {"property": status, kind: {"equals": NEW}},
                        {"property": status, kind: {"equals": PROCESSING}},
                    ]
                },
            ]
        }

    def candidates(self) -> list[LinkRow]:
        """Every candidate row, oldest first, through all result pages."""
        results = iterate_paginated_api(
            self.client.data_sources.query,
            data_source_id=self.data_source_id,
            filter=self.candidate_filter(),
            sorts=[{"timestamp": "created_time", "direction": "ascending"}],
            page_size=100,
            result_type="page",  # a wiki's query also lists its child data sources
        )
        return [self.parse(item) for item in results if item.get("object") == "page"]

    def parse(self, page: dict[str, Any]) -> LinkRow:
        props = page["properties"]
        url_prop = props.get(self.block.url_property, {})
        if url_prop.get("type") == "url":
            url = url_prop.get("url")
        else:
            url = _plain(url_prop.get("rich_text"))
        status_prop = props.get(self.block.status_property, {})
        status_value = status_prop.get(status_prop.get("type", "status"))
        return LinkRow(
            page_id=page["id"],
            url=(url or "").strip(),
            status=status_value["name"] if status_value else None,
            last_edited=parse_instant(page["last_edited_time"]),
        )

    def _status(self, name: str) -> dict[str, Any]:
        kind = self.types["status_property"]
        return {self.block.status_property: {kind: {"name": name}}}

    def _update(
        self, page_id: str, properties: dict[str, Any], optional: dict[str, Any] | None = None
    ) -> None:
        """Write `properties`, and `optional` with them when Notion takes them.

        An optional column Notion refuses (a select option the integration may not
        add, a property edited away) must never block the status write-back: the
        write is sent again without it, and the refusal logged.
        """
        if not optional:
            self.client.pages.update(page_id=page_id, properties=properties)
            return
        try:
            self.client.pages.update(page_id=page_id, properties={**properties, **optional})
        except APIResponseError as exc:
            if exc.code != "validation_error":
                raise
            log.warning(
                "Notion refused the optional column(s) %s of page %s (%s); status written "
                "without them",
                sorted(optional),
                page_id,
                str(exc)[:200],
            )
            self.client.pages.update(page_id=page_id, properties=properties)

    def _platform(self, platform: str | None) -> dict[str, Any]:
        field = self.block.platform_property
        if not field or not platform:
            return {}
        if self.types["platform_property"] == "select":
            return {field: {"select": {"name": platform}}}
        return {field: {"rich_text": _text(platform)}}

    def mark_processing(self, page_id: str) -> None:
        self._update(page_id, self._status(PROCESSING))

    def mark_new(self, page_id: str) -> None:
        self._update(page_id, self._status(NEW))

    def mark_done(self, page_id: str, media: Media) -> None:
        props = {
            **self._status(DONE),
            self.block.file_property: {"rich_text": _text(media.file)},
            self.block.error_property: {"rich_text": []},
        }
        optional = self._platform(media.platform)
        if self.block.size_property:
            optional[self.block.size_property] = {"number": media.bytes}
        if self.block.title_property:
            optional[self.block.title_property] = {"rich_text": _text(media.title)}
        self._update(page_id, props, optional)

    def mark_retry(self, page_id: str, error_class: str, message: str) -> None:
        """Back to New, with why it will be tried again; the next run picks it up."""
        props = {
            **self._status(NEW),
            self.block.error_property: {"rich_text": _text(f"{error_class}: {message}")},
        }
        self._update(page_id, props)

    def mark_failed(self, page_id: str, error_class: str, message: str, platform: str | None):
        props = {
            **self._status(FAILED),
            self.block.error_property: {"rich_text": _text(f"{error_class}: {message}")},
        }
        self._update(page_id, props, self._platform(platform))
