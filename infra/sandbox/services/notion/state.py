"""The fake Notion's data: databases, their data sources and the pages of each.

Databases are made by seeding (the control API and the demo seed), never through Notion
routes. Every access holds the sandbox lock.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.sandbox.core.clock import Clock, parse_iso_ms
from infra.sandbox.services.notion.errors import NotionError
from infra.sandbox.services.notion.model import (
    SAVED_LINKS_SCHEMA,
    NotionDatabase,
    NotionDataSource,
    NotionPage,
    PropertySchema,
    build_schema,
    normalize_id,
    parse_simple_value,
)
from infra.sandbox.services.notion.render import render_page

_ROW_ALIASES = {"name": ("Name", "title"), "url": ("URL", "url"), "status": ("Status", "status")}


@dataclass(frozen=True)
class DataSourceSeed:
    """One data source to seed: its name, schema spec (``None``: the saved-links schema),
    rows, optionally a fixed id, and how many data sources it lists as a wiki."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    schema: dict[str, Any] | None = None
    data_source_id: str | None = None
    child_data_sources: int = 0


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
            self.data_sources: dict[str, NotionDataSource] = {}
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
        child_data_sources: int = 0,
        extra_data_sources: Sequence[DataSourceSeed] = (),
        allow_new_options: bool = True,
    ) -> dict[str, Any]:
        """Create (or replace) a database, its data sources and their rows.

        The first data source is named after the database and holds ``rows`` under
        ``schema`` (and lists ``child_data_sources`` data sources, as a wiki's does);
        ``extra_data_sources`` follow it in order. Row keys are property names,
        or the aliases ``name``/``url``/``status``; values are plain (``"text"``, ``"Done"``,
        ``3``) or Notion-shaped. Special keys: ``_created_time`` (ISO string) and
        ``_in_trash``. Rows get strictly increasing ``created_time`` in order (seeded rows may
        add select options; ``allow_new_options`` false only refuses that to PATCHes).
        Nothing changes when the request is bad: it raises ``ValueError``.

        Returns ``database_id``, the first data source's ``data_source_id``, ``page_ids`` and
        ``child_data_source_ids``, and ``data_sources``: ``{"id", "name", "page_ids",
        "child_data_source_ids"}`` for each, the first included.
        """
        first = DataSourceSeed(title, rows, schema, data_source_id, child_data_sources)
        seeds = [first, *extra_data_sources]
        db_id = _given_or_new_id(database_id, "database_id")
        ds_ids = [_given_or_new_id(seed.data_source_id, "ds_id") for seed in seeds]
        if len(set(ds_ids)) != len(ds_ids):
            raise ValueError("two data sources of the database have the same id")
        schemas = [
            build_schema(s.schema if s.schema is not None else SAVED_LINKS_SCHEMA) for s in seeds
        ]
        with self.lock:
            for ds_id in ds_ids:
                owner = self.data_sources.get(ds_id)
                if owner is not None and owner.database_id != db_id:
                    raise ValueError(f"data source {ds_id} belongs to another database")
            now = self.clock.tick_ms()
            db = NotionDatabase(
                db_id, token, title, ds_ids, now, now, str(uuid.uuid4()), allow_new_options
            )
            sources = [
                NotionDataSource(ds_id, db_id, seed.name, props, now, now)
                for ds_id, seed, props in zip(ds_ids, seeds, schemas, strict=True)
            ]
            pages = [
                self._seed_contents(source, seed)
                for source, seed in zip(sources, seeds, strict=True)
            ]
            self.drop_database(db_id)
            self.databases[db_id] = db
            for source in sources:
                self.data_sources[source.id] = source
            for page in (page for source_pages in pages for page in source_pages):
                self.pages[page.id] = page
            made = [
                {
                    "id": source.id,
                    "name": source.name,
                    "page_ids": [p.id for p in source_pages],
                    "child_data_source_ids": [child.id for child in source.children],
                }
                for source, source_pages in zip(sources, pages, strict=True)
            ]
            return {
                "database_id": db_id,
                "data_source_id": ds_ids[0],
                "page_ids": made[0]["page_ids"],
                "child_data_source_ids": made[0]["child_data_source_ids"],
                "data_sources": made,
            }

    def _seed_contents(self, source: NotionDataSource, seed: DataSourceSeed) -> list[NotionPage]:
        """The seed's pages, in row order, and its wiki children (into ``source.children``)
        spread evenly between them, so a query interleaves the two kinds."""
        rows, count = seed.rows, seed.child_data_sources
        rows_before = [(k + 1) * len(rows) // (count + 1) for k in range(count)]
        pages: list[NotionPage] = []
        for index in range(len(rows) + 1):
            for _ in range(rows_before.count(index)):
                source.children.append(self._child_data_source(len(source.children) + 1))
            if index < len(rows):
                pages.append(self._seed_page(source, rows[index]))
        return pages

    def _child_data_source(self, number: int) -> NotionDataSource:
        """The data source of a database inside a wiki. It is only listed (retrieving it is
        a 404, as for a data source not shared with the integration), so it has no schema."""
        now = self.clock.tick_ms()
        return NotionDataSource(
            str(uuid.uuid4()), str(uuid.uuid4()), f"Database {number}", {}, now, now
        )

    def _seed_page(self, source: NotionDataSource, row: dict[str, Any]) -> NotionPage:
        values: dict[str, Any] = {}
        for key, raw in row.items():
            if key in ("_created_time", "_in_trash"):
                continue
            name = _row_property(source.schema, key)
            try:
                values[name] = parse_simple_value(source.schema[name], raw)
            except NotionError as exc:
                raise ValueError(exc.message) from exc
        created = self.clock.tick_ms()
        if row.get("_created_time"):
            created = parse_iso_ms(str(row["_created_time"]))
        return NotionPage(
            id=str(uuid.uuid4()),
            data_source_id=source.id,
            created_ms=created,
            last_edited_ms=created,
            values=values,
            in_trash=bool(row.get("_in_trash", False)),
        )

    def drop_database(self, database_id: str) -> None:
        """Remove a database, its data sources and their pages (no-op when unknown)."""
        with self.lock:
            db = self.databases.pop(database_id, None)
            if db is None:
                return
            for ds_id in db.data_source_ids:
                self.data_sources.pop(ds_id, None)
            gone = set(db.data_source_ids)
            for page_id in [p.id for p in self.pages.values() if p.data_source_id in gone]:
                del self.pages[page_id]

    def sources_of(self, db: NotionDatabase) -> list[NotionDataSource]:
        """The database's data sources, in the order it lists them."""
        with self.lock:
            return [self.data_sources[ds_id] for ds_id in db.data_source_ids]

    def page_record(self, page_id: str) -> dict[str, Any] | None:
        """``{"page", "history"}`` for the control API, or None when unknown."""
        with self.lock:
            page = self.pages.get(page_id)
            if page is None:
                return None
            source = self.data_sources[page.data_source_id]
            return {"page": render_page(source, page), "history": copy.deepcopy(page.history)}

    def database_page_records(self, database_id: str) -> list[dict[str, Any]] | None:
        """All pages of a database, of every data source and trashed too, in created order;
        None when the database is unknown."""
        with self.lock:
            db = self.databases.get(database_id)
            if db is None:
                return None
            sources = set(db.data_source_ids)
            pages = [p for p in self.pages.values() if p.data_source_id in sources]
            pages.sort(key=lambda p: (p.created_ms, p.id))
            return [r for p in pages if (r := self.page_record(p.id)) is not None]


def _given_or_new_id(raw: str | None, field: str) -> str:
    """The dashed form of a given id, or a fresh one; a malformed id is a ``ValueError``."""
    if not raw:
        return str(uuid.uuid4())
    try:
        return normalize_id(raw, field)
    except NotionError as exc:
        raise ValueError(exc.message) from exc


def _row_property(schema: dict[str, PropertySchema], key: str) -> str:
    """Map a row key to a property name; ``name``/``url``/``status`` are aliases."""
    if key in schema:
        return key
    if key in _ROW_ALIASES:
        preferred, prop_type = _ROW_ALIASES[key]
        if preferred in schema and schema[preferred].type == prop_type:
            return preferred
        for name, prop in schema.items():
            if prop.type == prop_type:
                return name
    raise ValueError(f"row has a value for unknown property {key!r}")
