"""Notion object model for the fake Notion API (API version 2025-09-03).

Holds the parts that do not depend on HTTP: the stored objects, id parsing, data-source
schemas and validation of property values sent by clients (``render`` turns the objects
into API JSON). Being strict here (type checks, the rich-text limit of 2000 UTF-16 code
units, unknown status options) is the point: code that passes against the sandbox should not
fail against the real service.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from infra.sandbox.services.notion.errors import NotionError, validation_error

#: Types the sandbox supports in schemas, values, filters and sorts.
SUPPORTED_TYPES = ("title", "rich_text", "url", "status", "select", "number", "checkbox", "files")
#: Real API limits that client code must respect; text length counts UTF-16 code units.
MAX_TEXT_CONTENT = 2000
MAX_RICH_TEXT_ITEMS = 100

#: Schema of the "saved links" database used by seeding and as the default.
SAVED_LINKS_SCHEMA: dict[str, Any] = {
    "Name": "title",
    "URL": "url",
    "Status": {"type": "status", "options": ["New", "Processing", "Done", "Failed"]},
    "File": "rich_text",
    "Error": "rich_text",
    "Platform": {"type": "select", "options": []},
    "Size": "number",
    "Media title": "rich_text",
    "Attachments": "files",
}

_STATUS_COLORS = {"new": "default", "processing": "blue", "done": "green", "failed": "red"}
_PALETTE = ("gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")
_COMPLETE_WORDS = {"done", "failed", "complete", "completed", "error", "cancelled", "canceled"}
_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


@dataclass
class PropertySchema:
    """One column of a data source. ``options``/``groups`` only matter for status/select."""

    id: str
    name: str
    type: str
    options: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NotionDatabase:
    """A database: a titled container of data sources (API 2025-09-03), reached with its
    integration's token. ``data_source_ids`` is in the order the database lists them.
    ``allow_new_options`` false stands for an integration without the right to edit the
    schema: writing a select value that is not an option yet is refused."""

    id: str
    token: str
    title: str
    data_source_ids: list[str]
    created_ms: int
    last_edited_ms: int
    parent_page_id: str
    allow_new_options: bool = True


@dataclass
class NotionDataSource:
    """One table of a database, with its own schema; its rows are the pages naming it.

    ``children`` makes it a wiki's data source: those are the data sources of databases
    inside the wiki, which its query lists among the pages (they have no schema here).
    """

    id: str
    database_id: str
    name: str
    schema: dict[str, PropertySchema]
    created_ms: int
    last_edited_ms: int
    children: list[NotionDataSource] = field(default_factory=list)


@dataclass
class NotionPage:
    """A row. ``values`` maps property name to the inner API value (e.g. a rich-text list)."""

    id: str
    data_source_id: str
    created_ms: int
    last_edited_ms: int
    values: dict[str, Any]
    in_trash: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


def normalize_id(raw: str, field: str) -> str:
    """Accept ids with or without dashes (like Notion) and return the dashed form."""
    compact = raw.replace("-", "").lower()
    if not re.fullmatch(r"[0-9a-f]{32}", compact):
        raise validation_error(
            f'path failed validation: path.{field} should be a valid uuid, instead was `"{raw}"`.'
        )
    return str(uuid.UUID(compact))


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode()).digest()


def _short_property_id(name: str, taken: set[str]) -> str:
    """Deterministic 4-character, URL-encoded id like the real ``%3DiQm`` ones."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:;=?@[]^"
    salt = 0
    while True:
        raw = "".join(alphabet[b % len(alphabet)] for b in _digest(name, str(salt))[:4])
        encoded = quote(raw, safe="")
        if encoded not in taken and encoded != "title":
            return encoded
        salt += 1


def make_option(prop_id: str, name: str, color: str | None = None) -> dict[str, Any]:
    """A status/select option with a deterministic id and colour."""
    if color is None:
        color = _STATUS_COLORS.get(name.lower()) or _PALETTE[_digest(name)[0] % len(_PALETTE)]
    option_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-option:{prop_id}:{name}"))
    return {"id": option_id, "name": name, "color": color, "description": None}


def _default_groups(prop_id: str, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Status groups like Notion's: first option is To-do, finished-sounding ones Complete."""
    todo: list[str] = []
    doing: list[str] = []
    done: list[str] = []
    for index, option in enumerate(options):
        if option["name"].lower() in _COMPLETE_WORDS:
            done.append(option["id"])
        elif index == 0:
            todo.append(option["id"])
        else:
            doing.append(option["id"])
    spec = (("To-do", "gray", todo), ("In progress", "blue", doing), ("Complete", "green", done))
    return [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-group:{prop_id}:{name}")),
            "name": name,
            "color": color,
            "option_ids": ids,
        }
        for name, color, ids in spec
    ]


def build_schema(spec: dict[str, Any]) -> dict[str, PropertySchema]:
    """Turn a seeding schema spec into property schemas.

    ``spec`` maps property name to either a type name (``"url"``) or a dict
    ``{"type": ..., "options": [name | {"name", "color"}]}`` for status/select. Exactly one
    title property is required, as in Notion. Raises ``ValueError`` on a bad spec.
    """
    schema: dict[str, PropertySchema] = {}
    taken: set[str] = set()
    for name, raw in spec.items():
        definition = {"type": raw} if isinstance(raw, str) else dict(raw)
        prop_type = definition.get("type")
        if prop_type not in SUPPORTED_TYPES:
            raise ValueError(f"property {name!r}: unsupported type {prop_type!r}")
        prop_id = "title" if prop_type == "title" else _short_property_id(name, taken)
        taken.add(prop_id)
        prop = PropertySchema(id=prop_id, name=name, type=prop_type)
        if prop_type in ("status", "select"):
            for option in definition.get("options", []):
                if isinstance(option, str):
                    option = {"name": option}
                prop.options.append(make_option(prop_id, option["name"], option.get("color")))
        if prop_type == "status":
            if not prop.options:
                raise ValueError(f"property {name!r}: a status property needs options")
            prop.groups = _default_groups(prop_id, prop.options)
        schema[name] = prop
    if sum(1 for prop in schema.values() if prop.type == "title") != 1:
        raise ValueError("a schema needs exactly one title property")
    return schema


def find_property(schema: dict[str, PropertySchema], key: str) -> PropertySchema | None:
    """Look a property up by name, then by id (the API accepts both)."""
    if key in schema:
        return schema[key]
    for prop in schema.values():
        if prop.id == key:
            return prop
    return None


# --- values -----------------------------------------------------------------------------------


def text_item(content: str, link: str | None = None) -> dict[str, Any]:
    """A complete rich-text item of type text."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": content,
        "href": link,
    }


def utf16_length(text: str) -> int:
    """Length as Notion (JavaScript) counts it: a character outside the BMP, such as an
    emoji, is two UTF-16 code units, so 2000 Python characters may be over the limit."""
    return len(text.encode("utf-16-le")) // 2


def _expected(name: str, prop_type: str) -> NotionError:
    return validation_error(f"{name} is expected to be {prop_type}.")


def parse_rich_text(name: str, key: str, items: Any) -> list[dict[str, Any]]:
    """Validate rich-text items sent by a client and fill in the full item shape."""
    if not isinstance(items, list):
        raise _expected(name, key)
    if len(items) > MAX_RICH_TEXT_ITEMS:
        raise validation_error(
            f"body failed validation: body.properties.{name}.{key}.length should be ≤ "
            f"`{MAX_RICH_TEXT_ITEMS}`, instead was `{len(items)}`."
        )
    result = []
    for index, item in enumerate(items):
        where = f"body.properties.{name}.{key}[{index}]"
        if not isinstance(item, dict) or item.get("type", "text") != "text":
            raise validation_error(f"{where}: only text rich-text items are supported.")
        text = item.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise validation_error(
                f"body failed validation: {where}.text.content should be a string."
            )
        content = text["content"]
        length = utf16_length(content)
        if length > MAX_TEXT_CONTENT:
            raise validation_error(
                f"body failed validation: {where}.text.content.length should be ≤ "
                f"`{MAX_TEXT_CONTENT}`, instead was `{length}`."
            )
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        full = text_item(content, url)
        if isinstance(item.get("annotations"), dict):
            full["annotations"].update(item["annotations"])
        result.append(full)
    return result


def _parse_option(prop: PropertySchema, raw: Any, may_add_options: bool) -> dict[str, Any] | None:
    """Status must name an existing option; select creates a new one on the fly, when the
    integration may edit the schema."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not ({"name", "id"} & raw.keys()):
        raise _expected(prop.name, prop.type)
    for option in prop.options:
        if ("id" in raw and raw["id"] == option["id"]) or (
            "id" not in raw and raw.get("name") == option["name"]
        ):
            return {"id": option["id"], "name": option["name"], "color": option["color"]}
    label = raw.get("name", raw.get("id"))
    if prop.type == "status" or "name" not in raw:
        kind = "Status" if prop.type == "status" else "Select"
        raise validation_error(
            f'Invalid {prop.type} option for property "{prop.name}". '
            f'{kind} option "{label}" does not exist.'
        )
    name = raw["name"]
    if not may_add_options:
        raise validation_error(f"{name} is an invalid select option for property {prop.name}.")
    if not isinstance(name, str) or not name.strip() or "," in name:
        raise validation_error(f"Invalid select option name for {prop.name}: {name!r}.")
    option = make_option(prop.id, name, raw.get("color"))
    prop.options.append(option)
    return {"id": option["id"], "name": option["name"], "color": option["color"]}


def _parse_files(name: str, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise _expected(name, "files")
    result = []
    for item in items:
        external = item.get("external") if isinstance(item, dict) else None
        if not isinstance(external, dict) or not isinstance(external.get("url"), str):
            raise validation_error(f"{name}: only external files with a url are supported.")
        label = item.get("name") or external["url"].rstrip("/").rsplit("/", 1)[-1]
        result.append({"name": label, "type": "external", "external": {"url": external["url"]}})
    return result


def parse_api_value(prop: PropertySchema, raw: Any, *, may_add_options: bool = True) -> Any:
    """Validate a property value as sent in ``PATCH /v1/pages`` and return the stored value.

    ``raw`` is Notion-shaped, e.g. ``{"url": "..."}`` or ``{"status": {"name": "Done"}}``;
    a value keyed by another type than the property's is rejected, as Notion does.
    May add a select option (unless ``may_add_options`` is false: then an unknown one is
    refused), so callers must hold the state lock.
    """
    name, prop_type = prop.name, prop.type
    if not isinstance(raw, dict) or prop_type not in raw:
        raise _expected(name, prop_type)
    if raw.get("type", prop_type) != prop_type:
        raise _expected(name, prop_type)
    value = raw[prop_type]
    if prop_type in ("title", "rich_text"):
        return parse_rich_text(name, prop_type, value)
    if prop_type == "url":
        if value is not None and not isinstance(value, str):
            raise _expected(name, prop_type)
        return value
    if prop_type in ("status", "select"):
        return _parse_option(prop, value, may_add_options)
    if prop_type == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _expected(name, prop_type)
        return value
    if prop_type == "checkbox":
        if not isinstance(value, bool):
            raise _expected(name, prop_type)
        return value
    return _parse_files(name, value)


def parse_simple_value(prop: PropertySchema, value: Any) -> Any:
    """Seeding convenience: accept plain Python values as well as Notion-shaped ones.

    Seeding writes as the workspace's owner, so it may always add select options."""
    if isinstance(value, dict) and prop.type in value:
        return parse_api_value(prop, value)
    if prop.type in ("title", "rich_text"):
        if value is None:
            return []
        if isinstance(value, str):
            return parse_rich_text(prop.name, prop.type, [{"text": {"content": value}}])
    elif prop.type in ("status", "select"):
        if value is None or isinstance(value, str):
            return _parse_option(prop, None if value is None else {"name": value}, True)
    elif prop.type == "files" and isinstance(value, list):
        value = [{"external": {"url": v}} if isinstance(v, str) else v for v in value]
    elif prop.type == "checkbox" and value is None:
        value = False
    return parse_api_value(prop, {prop.type: value})


def empty_value(prop: PropertySchema) -> Any:
    """What a property holds before anything was written to it."""
    return {"title": [], "rich_text": [], "files": [], "checkbox": False}.get(prop.type)


def plain_text(prop_type: str, value: Any) -> str | None:
    """The text a text-like value reads as (``None`` for an empty url)."""
    if prop_type in ("title", "rich_text"):
        return "".join(item["plain_text"] for item in value)
    if prop_type == "url":
        return value
    if prop_type in ("status", "select"):
        return value["name"] if value else None
    return None
