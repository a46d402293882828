"""The fake Notion's data: databases (one data source each) and their pages.

Databases are made by seeding (the control API and the demo seed), never through Notion
routes. Every access holds the sandbox lock.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from infra.sandbox.core.clock import Clock, parse_iso_ms
from infra.sandbox.services.notion.errors import NotionError
from infra.sandbox.services.notion.model import (
    SAVED_LINKS_SCHEMA,
    NotionDatabase,
    NotionPage,
    build_schema,
    normalize_id,
    parse_simple_value,
)
from infra.sandbox.services.notion.render import render_page

_ROW_ALIASES = {"name": ("Name", "title"), "url": ("URL", "url"), "status": ("Status", "status")}


class NotionState:
    """All databases, data sources and pages; ``clock.tick_ms`` stamps them."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self.lock = lock
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget every database."""
        with self.lock:
            self.databases: dict[str, NotionDatabase] = {}
            self.data_sources: dict[str, str] = {}  # data source id -> database id
            self.pages: dict[str, NotionPage] = {}

    def seed_database(
        self,
        *,
        token: str,
        title: str,
        rows: list[dict[str, Any]],
        schema: dict[str, Any] | None = None,
        database_id: str | None = None,
        data_source_id: str | None = None,
    ) -> dict[str, Any]:
        """Create (or replace) a database with one data source and its rows.

        Row keys are property names, or the aliases ``name``/``url``/``status``; values are
        plain (``"text"``, ``"Done"``, ``3``) or Notion-shaped. Special keys:
        ``_created_time`` (ISO string) and ``_in_trash``. Rows get strictly increasing
        ``created_time`` in order. Raises ``ValueError`` for a bad request.
        """
        try:
            db_id = normalize_id(database_id, "database_id") if database_id else str(uuid.uuid4())
            ds_id = normalize_id(data_source_id, "ds_id") if data_source_id else str(uuid.uuid4())
        except NotionError as exc:
            raise ValueError(exc.message) from exc
        props = build_schema(schema if schema is not None else SAVED_LINKS_SCHEMA)
        with self.lock:
            if ds_id in self.data_sources and self.data_sources[ds_id] != db_id:
                raise ValueError(f"data source {ds_id} belongs to another database")
            self.drop_database(db_id)
            now = self.clock.tick_ms()
            db = NotionDatabase(db_id, ds_id, token, title, props, now, now, str(uuid.uuid4()))
            pages = [self._seed_page(db, row) for row in rows]
            self.databases[db_id] = db
            self.data_sources[ds_id] = db_id
            for page in pages:
                self.pages[page.id] = page
            return {
                "database_id": db_id,
                "data_source_id": ds_id,
                "page_ids": [page.id for page in pages],
            }

    def _seed_page(self, db: NotionDatabase, row: dict[str, Any]) -> NotionPage:
        values: dict[str, Any] = {}
        for key, raw in row.items():
            if key in ("_created_time", "_in_trash"):
                continue
            name = _row_property(db, key)
            try:
                values[name] = parse_simple_value(db.schema[name], raw)
            except NotionError as exc:
                raise ValueError(exc.message) from exc
        created = self.clock.tick_ms()
        if row.get("_created_time"):
            created = parse_iso_ms(str(row["_created_time"]))
        return NotionPage(
            id=str(uuid.uuid4()),
            database_id=db.id,
            created_ms=created,
            last_edited_ms=created,
            values=values,
            in_trash=bool(row.get("_in_trash", False)),
        )

    def drop_database(self, database_id: str) -> None:
        """Remove a database, its data source and pages (no-op when unknown)."""
        with self.lock:
            db = self.databases.pop(database_id, None)
            if db is None:
                return
            self.data_sources.pop(db.data_source_id, None)
            for page_id in [p.id for p in self.pages.values() if p.database_id == database_id]:
                del self.pages[page_id]

    def page_record(self, page_id: str) -> dict[str, Any] | None:
        """``{"page", "history"}`` for the control API, or None when unknown."""
        with self.lock:
            page = self.pages.get(page_id)
            if page is None:
                return None
            db = self.databases[page.database_id]
            return {"page": render_page(db, page), "history": copy.deepcopy(page.history)}

    def database_page_records(self, database_id: str) -> list[dict[str, Any]] | None:
        """All pages of a database (trashed too) in created order, or None when unknown."""
        with self.lock:
            if database_id not in self.databases:
                return None
            pages = [p for p in self.pages.values() if p.database_id == database_id]
            pages.sort(key=lambda p: (p.created_ms, p.id))
            return [r for p in pages if (r := self.page_record(p.id)) is not None]


def _row_property(db: NotionDatabase, key: str) -> str:
    """Map a row key to a property name; ``name``/``url``/``status`` are aliases."""
    if key in db.schema:
        return key
    if key in _ROW_ALIASES:
        preferred, prop_type = _ROW_ALIASES[key]
        if preferred in db.schema and db.schema[preferred].type == prop_type:
            return preferred
        for name, prop in db.schema.items():
            if prop.type == prop_type:
                return name
    raise ValueError(f"row has a value for unknown property {key!r}")
