"""Database, data source and page objects exactly as the real API (2025-09-03) shapes them."""

from __future__ import annotations

import copy
import re
from typing import Any

from infra.sandbox.core.clock import iso_ms
from infra.sandbox.services.notion.model import (
    NotionDatabase,
    NotionDataSource,
    NotionPage,
    PropertySchema,
    empty_value,
    plain_text,
    text_item,
)

#: The user every sandbox object claims to be created / edited by.
SANDBOX_USER_ID = "5a1e0000-0000-4000-8000-00000000beef"


def _user() -> dict[str, str]:
    return {"object": "user", "id": SANDBOX_USER_ID}


def notion_url(object_id: str, title: str = "") -> str:
    """``https://www.notion.so/<Title-words>-<hex>`` as in real responses."""
    slug = "-".join(re.findall(r"[A-Za-z0-9]+", title))
    hex_id = object_id.replace("-", "")
    return f"https://www.notion.so/{slug}-{hex_id}" if slug else f"https://www.notion.so/{hex_id}"


def render_schema_property(prop: PropertySchema) -> dict[str, Any]:
    """A property as listed in a data source's ``properties``."""
    config: dict[str, Any] = {}
    if prop.type == "number":
        config = {"format": "number"}
    elif prop.type == "select":
        config = {"options": copy.deepcopy(prop.options)}
    elif prop.type == "status":
        config = {"options": copy.deepcopy(prop.options), "groups": copy.deepcopy(prop.groups)}
    return {
        "id": prop.id,
        "name": prop.name,
        "description": None,
        "type": prop.type,
        prop.type: config,
    }


def render_database(db: NotionDatabase, sources: list[NotionDataSource]) -> dict[str, Any]:
    """A database object (2025-09-03: no ``properties``; those live on each data source)."""
    return {
        "object": "database",
        "id": db.id,
        "title": [text_item(db.title)],
        "description": [],
        "parent": {"type": "page_id", "page_id": db.parent_page_id},
        "is_inline": False,
        "in_trash": False,
        "is_locked": False,
        "created_time": iso_ms(db.created_ms),
        "last_edited_time": iso_ms(db.last_edited_ms),
        "data_sources": [{"id": source.id, "name": source.name} for source in sources],
        "icon": None,
        "cover": None,
        "url": notion_url(db.id),
        "public_url": None,
    }


def render_data_source(db: NotionDatabase, source: NotionDataSource) -> dict[str, Any]:
    """A data source object with its property schema."""
    return _data_source_object(source, {"type": "page_id", "page_id": db.parent_page_id})


def render_listed_data_source(wiki: NotionDataSource, child: NotionDataSource) -> dict[str, Any]:
    """A data source as a wiki's query lists it among the pages: the one of a database
    that sits in the wiki (Notion lists the child database's data sources, not the database)."""
    return _data_source_object(child, {"type": "data_source_id", "data_source_id": wiki.id})


def _data_source_object(
    source: NotionDataSource, database_parent: dict[str, Any]
) -> dict[str, Any]:
    return {
        "object": "data_source",
        "id": source.id,
        "created_time": iso_ms(source.created_ms),
        "last_edited_time": iso_ms(source.last_edited_ms),
        "created_by": _user(),
        "last_edited_by": _user(),
        "title": [text_item(source.name)],
        "description": [],
        "parent": {"type": "database_id", "database_id": source.database_id},
        "database_parent": database_parent,
        "properties": {name: render_schema_property(p) for name, p in source.schema.items()},
        "is_inline": False,
        "archived": False,
        "in_trash": False,
        "icon": None,
        "cover": None,
        "url": notion_url(source.id),
        "public_url": None,
    }


def render_page(source: NotionDataSource, page: NotionPage) -> dict[str, Any]:
    """A page object with every property of its data source's schema, shaped like the real API."""
    properties = {}
    title = ""
    for name, prop in source.schema.items():
        value = page.values.get(name, empty_value(prop))
        properties[name] = {"id": prop.id, "type": prop.type, prop.type: copy.deepcopy(value)}
        if prop.type == "title":
            title = plain_text("title", value) or ""
    return {
        "object": "page",
        "id": page.id,
        "created_time": iso_ms(page.created_ms),
        "last_edited_time": iso_ms(page.last_edited_ms),
        "created_by": _user(),
        "last_edited_by": _user(),
        "cover": None,
        "icon": None,
        "parent": {
            "type": "data_source_id",
            "data_source_id": source.id,
            "database_id": source.database_id,
        },
        "archived": page.in_trash,
        "in_trash": page.in_trash,
        "is_locked": False,
        "properties": properties,
        "url": notion_url(page.id, title),
        "public_url": None,
    }
