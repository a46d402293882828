"""Filter, sort and cursor logic for ``POST /v1/data_sources/{id}/query``.

Filters and sorts are validated up front (an unknown property is an error even when no
page would be looked at), then compiled into plain Python callables.

Pagination is keyset-based: the cursor is the sort key of the first page of the *next*
batch, and the following call returns pages whose key is >= it. Every key ends with
(created_time, id), which never change, so with the default order a page updated between
two calls (e.g. its status changed so the filter no longer matches) is never skipped nor
returned twice. That is the guarantee the product's "query New, mark Processing, fetch the
next batch" loop relies on.

A wiki's data source also lists data sources (those of the databases inside the wiki)
among its pages. They take part in sorting and pagination like pages (after every page
under a property sort, by their timestamps otherwise), but the filter narrows pages only:
Notion lists them whatever it says, and only ``result_type`` leaves one kind out.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from infra.sandbox.core.clock import parse_iso_ms
from infra.sandbox.services.notion.errors import validation_error
from infra.sandbox.services.notion.model import (
    NotionDataSource,
    NotionPage,
    PropertySchema,
    empty_value,
    find_property,
    plain_text,
)

Predicate = Callable[[NotionPage], bool]
SortKey = list[Any]
#: What a query lists: pages and, for a wiki, data sources.
Entry = NotionPage | NotionDataSource

_TEXT_OPS = (
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
)
_NUMBER_OPS = (
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
)
_OPS: dict[str, tuple[str, ...]] = {
    "title": _TEXT_OPS,
    "rich_text": _TEXT_OPS,
    "url": _TEXT_OPS,
    "status": ("equals", "does_not_equal", "is_empty", "is_not_empty"),
    "select": ("equals", "does_not_equal", "is_empty", "is_not_empty"),
    "number": _NUMBER_OPS,
    "checkbox": ("equals", "does_not_equal"),
    "files": ("is_empty", "is_not_empty"),
}
_TIMESTAMP_OPS = ("equals", "before", "after", "on_or_before", "on_or_after")
_TIMESTAMPS = ("created_time", "last_edited_time")
MAX_PAGE_SIZE = 100
#: Values of ``result_type``: only pages, or only the data sources a wiki lists.
RESULT_TYPES = ("page", "data_source")
#: A data source's sort value under a property sort: (emptiness rank, value), ranked after
#: the empty values of pages, so data sources come after every page in both directions.
_NOT_A_PAGE = (2, 0)


def _single_operator(where: str, condition: Any, allowed: tuple[str, ...]) -> tuple[str, Any]:
    if not isinstance(condition, dict) or len(condition) != 1:
        raise validation_error(f"body failed validation: {where} should have exactly one operator.")
    op, arg = next(iter(condition.items()))
    if op not in allowed:
        raise validation_error(
            f"body failed validation: {where}.{op} is not a valid operator; "
            f"expected one of {', '.join(allowed)}."
        )
    if op in ("is_empty", "is_not_empty") and arg is not True:
        raise validation_error(f"body failed validation: {where}.{op} should be `true`.")
    return op, arg


def _value(page: NotionPage, prop: PropertySchema) -> Any:
    return page.values.get(prop.name, empty_value(prop))


def _text_predicate(prop: PropertySchema, op: str, arg: Any, where: str) -> Predicate:
    if op not in ("is_empty", "is_not_empty") and not isinstance(arg, str):
        raise validation_error(f"body failed validation: {where}.{op} should be a string.")

    def text(page: NotionPage) -> str:
        return plain_text(prop.type, _value(page, prop)) or ""

    needle = arg.lower() if isinstance(arg, str) else ""
    tests: dict[str, Callable[[str], bool]] = {
        "equals": lambda v: v == arg,
        "does_not_equal": lambda v: v != arg,
        "contains": lambda v: needle in v.lower(),
        "does_not_contain": lambda v: needle not in v.lower(),
        "starts_with": lambda v: v.lower().startswith(needle),
        "ends_with": lambda v: v.lower().endswith(needle),
        "is_empty": lambda v: v == "",
        "is_not_empty": lambda v: v != "",
    }
    check = tests[op]
    return lambda page: check(text(page))


def _number_predicate(prop: PropertySchema, op: str, arg: Any, where: str) -> Predicate:
    if op not in ("is_empty", "is_not_empty") and (
        isinstance(arg, bool) or not isinstance(arg, int | float)
    ):
        raise validation_error(f"body failed validation: {where}.{op} should be a number.")
    tests: dict[str, Callable[[Any], bool]] = {
        "equals": lambda v: v is not None and v == arg,
        "does_not_equal": lambda v: v is None or v != arg,
        "greater_than": lambda v: v is not None and v > arg,
        "less_than": lambda v: v is not None and v < arg,
        "greater_than_or_equal_to": lambda v: v is not None and v >= arg,
        "less_than_or_equal_to": lambda v: v is not None and v <= arg,
        "is_empty": lambda v: v is None,
        "is_not_empty": lambda v: v is not None,
    }
    check = tests[op]
    return lambda page: check(_value(page, prop))


def _property_predicate(spec: dict[str, Any], schema: dict[str, PropertySchema]) -> Predicate:
    key = spec["property"]
    prop = find_property(schema, key) if isinstance(key, str) else None
    if prop is None:
        raise validation_error(f"Could not find property with name or id: {key}")
    type_keys = [k for k in spec if k not in ("property", "type")]
    if len(type_keys) != 1:
        raise validation_error(f"body failed validation: filter on {prop.name} needs one type.")
    filter_type = type_keys[0]
    text_types = ("title", "rich_text")
    if filter_type != prop.type and not (filter_type in text_types and prop.type in text_types):
        raise validation_error(
            f"Filter type {filter_type} does not match the type {prop.type} "
            f"of property {prop.name}."
        )
    where = f"body.filter.{filter_type}"
    op, arg = _single_operator(where, spec[filter_type], _OPS[prop.type])
    if prop.type in ("title", "rich_text", "url"):
        return _text_predicate(prop, op, arg, where)
    if prop.type == "number":
        return _number_predicate(prop, op, arg, where)
    if prop.type in ("status", "select"):
        if op in ("equals", "does_not_equal") and not isinstance(arg, str):
            raise validation_error(f"body failed validation: {where}.{op} should be a string.")
        tests: dict[str, Callable[[str | None], bool]] = {
            "equals": lambda v: v == arg,
            "does_not_equal": lambda v: v != arg,
            "is_empty": lambda v: v is None,
            "is_not_empty": lambda v: v is not None,
        }
        check = tests[op]
        return lambda page: check(plain_text(prop.type, _value(page, prop)))
    if prop.type == "checkbox":
        if not isinstance(arg, bool):
            raise validation_error(f"body failed validation: {where}.{op} should be a boolean.")
        return lambda page: (_value(page, prop) == arg) == (op == "equals")
    return lambda page: (len(_value(page, prop)) == 0) == (op == "is_empty")


def _timestamp_predicate(spec: dict[str, Any]) -> Predicate:
    field = spec["timestamp"]
    if field not in _TIMESTAMPS:
        raise validation_error(
            f"body failed validation: body.filter.timestamp should be one of {_TIMESTAMPS}."
        )
    where = f"body.filter.{field}"
    op, arg = _single_operator(where, spec.get(field), _TIMESTAMP_OPS)
    if not isinstance(arg, str):
        raise validation_error(f"body failed validation: {where}.{op} should be a date string.")
    try:
        bound = parse_iso_ms(arg)
    except ValueError as exc:
        raise validation_error(f"body failed validation: {where}.{op}: {exc}.") from exc
    date_only = "T" not in arg.upper()

    def moment(page: NotionPage) -> int | str:
        ms = page.created_ms if field == "created_time" else page.last_edited_ms
        if date_only:
            return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()
        return ms

    target: int | str = arg[:10] if date_only else bound
    tests: dict[str, Callable[[Any], bool]] = {
        "equals": lambda v: v == target,
        "before": lambda v: v < target,
        "after": lambda v: v > target,
        "on_or_before": lambda v: v <= target,
        "on_or_after": lambda v: v >= target,
    }
    check = tests[op]
    return lambda page: check(moment(page))


def compile_filter(spec: Any, schema: dict[str, PropertySchema]) -> Predicate:
    """Validate a Notion filter object and turn it into a predicate over pages."""
    if not isinstance(spec, dict):
        raise validation_error("body failed validation: body.filter should be an object.")
    for compound in ("and", "or"):
        if compound in spec:
            parts = spec[compound]
            if not isinstance(parts, list):
                raise validation_error(f"body failed validation: body.filter.{compound} list.")
            predicates = [compile_filter(part, schema) for part in parts]
            if compound == "and":
                return lambda page: all(p(page) for p in predicates)
            return lambda page: any(p(page) for p in predicates)
    if "timestamp" in spec:
        return _timestamp_predicate(spec)
    if "property" in spec:
        return _property_predicate(spec, schema)
    raise validation_error("body failed validation: body.filter needs property, timestamp, and/or.")


def _sort_value(prop: PropertySchema, value: Any) -> tuple[int, Any]:
    """(is_empty, comparable) for one property value; option order for status/select."""
    if prop.type in ("title", "rich_text", "url"):
        text = plain_text(prop.type, value) or ""
        return (1, "") if text == "" else (0, text.lower())
    if prop.type in ("status", "select"):
        if value is None:
            return (1, 0)
        names = [o["name"] for o in prop.options]
        return (0, names.index(value["name"]) if value["name"] in names else len(names))
    if prop.type == "number":
        return (1, 0) if value is None else (0, value)
    if prop.type == "checkbox":
        return (0, int(bool(value)))
    return (0, len(value))


def _property_sort(prop: PropertySchema) -> Callable[[Entry], tuple[int, Any]]:
    def sort_value(entry: Entry) -> tuple[int, Any]:
        if isinstance(entry, NotionPage):
            return _sort_value(prop, _value(entry, prop))
        return _NOT_A_PAGE

    return sort_value


def compile_sorts(
    sorts: Any, schema: dict[str, PropertySchema]
) -> tuple[Callable[[Entry], SortKey], Callable[[SortKey, SortKey], int]]:
    """Return (key function, comparator). Keys end with [created ms, id] as tie-breakers."""
    if sorts is None:
        sorts = []
    if not isinstance(sorts, list):
        raise validation_error("body failed validation: body.sorts should be an array.")
    extractors: list[Callable[[Entry], tuple[int, Any]]] = []
    directions: list[int] = []
    for sort in sorts:
        if not isinstance(sort, dict):
            raise validation_error("body failed validation: body.sorts[] should be an object.")
        direction = sort.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise validation_error(
                "body failed validation: sort direction should be ascending or descending."
            )
        directions.append(1 if direction == "ascending" else -1)
        if "timestamp" in sort:
            field = sort["timestamp"]
            if field not in _TIMESTAMPS:
                raise validation_error(f"body failed validation: sort timestamp {field!r}.")
            attr = "created_ms" if field == "created_time" else "last_edited_ms"
            extractors.append(lambda entry, attr=attr: (0, getattr(entry, attr)))
        elif "property" in sort:
            prop = find_property(schema, str(sort["property"]))
            if prop is None:
                raise validation_error(
                    f"Could not find sort property with name or id: {sort['property']}"
                )
            extractors.append(_property_sort(prop))
        else:
            raise validation_error("body failed validation: a sort needs property or timestamp.")

    def key(entry: Entry) -> SortKey:
        return [list(extract(entry)) for extract in extractors] + [[entry.created_ms, entry.id]]

    def compare(a: SortKey, b: SortKey) -> int:
        for (empty_a, va), (empty_b, vb), sign in zip(a, b, directions, strict=False):
            if empty_a != empty_b:
                return -1 if empty_a < empty_b else 1  # empty values last either way
            if va != vb:
                return sign * (-1 if va < vb else 1)
        tail_a, tail_b = a[-1], b[-1]
        return 0 if tail_a == tail_b else (-1 if tail_a < tail_b else 1)

    return key, compare


def encode_cursor(key: SortKey) -> str:
    """Opaque cursor text for a sort key."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: Any, key_length: int) -> SortKey:
    """Inverse of ``encode_cursor``; anything unexpected is a validation error like Notion's."""
    try:
        key = json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise validation_error(f"The start_cursor provided is invalid: {cursor}") from exc
    if not isinstance(key, list) or len(key) != key_length:
        raise validation_error(f"The start_cursor provided is invalid: {cursor}")
    return key


def page_size_of(body: dict[str, Any]) -> int:
    """Validate ``page_size`` (default 100, 1..100)."""
    size = body.get("page_size", MAX_PAGE_SIZE)
    if size is None:
        return MAX_PAGE_SIZE
    if isinstance(size, bool) or not isinstance(size, int):
        raise validation_error("body failed validation: body.page_size should be a number.")
    if size > MAX_PAGE_SIZE:
        raise validation_error(
            f"body failed validation: body.page_size should be ≤ `{MAX_PAGE_SIZE}`, "
            f"instead was `{size}`."
        )
    if size < 1:
        raise validation_error(
            f"body failed validation: body.page_size should be ≥ `1`, instead was `{size}`."
        )
    return size


def result_type_of(body: dict[str, Any]) -> str | None:
    """Validate ``result_type`` (absent: pages and data sources alike)."""
    result_type = body.get("result_type")
    if result_type is None or result_type in RESULT_TYPES:
        return result_type
    raise validation_error(
        'body failed validation: body.result_type should be `"page"` or `"data_source"`, '
        f"instead was `{json.dumps(result_type)}`."
    )


def run_query(
    pages: list[NotionPage],
    data_sources: list[NotionDataSource],
    schema: dict[str, PropertySchema],
    body: dict[str, Any],
) -> tuple[list[Entry], str | None]:
    """Filter, sort and paginate ``pages`` and the ``data_sources`` a wiki lists; returns
    (this batch, next cursor or None)."""
    size = page_size_of(body)
    result_type = result_type_of(body)
    predicate = compile_filter(body["filter"], schema) if body.get("filter") else None
    key_of, compare = compile_sorts(body.get("sorts"), schema)
    entries: list[Entry] = []
    if result_type != "data_source":
        entries += [page for page in pages if predicate is None or predicate(page)]
    if result_type != "page":
        entries += data_sources
    keyed = [(key_of(entry), entry) for entry in entries]
    keyed.sort(key=functools.cmp_to_key(lambda a, b: compare(a[0], b[0])))
    start = 0
    cursor = body.get("start_cursor")
    if cursor is not None:
        expected_length = len(body.get("sorts") or []) + 1
        start_key = decode_cursor(cursor, expected_length)
        try:
            while start < len(keyed) and compare(keyed[start][0], start_key) < 0:
                start += 1
        except TypeError as exc:  # a cursor from a query with other sorts
            raise validation_error(f"The start_cursor provided is invalid: {cursor}") from exc
    batch = keyed[start : start + size]
    rest = keyed[start + size :]
    return [entry for _, entry in batch], (encode_cursor(rest[0][0]) if rest else None)
