"""Shared by the Google Books tests: a library book, a block for the sandbox's API."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from blocks.audiobooks import GoogleBooks
from flows.audiobooks import library
from infra.sandbox.core.client import Sandbox
from infra.sandbox.services.googlebooks.client import volume

KEY = "test-books-key"
__all__ = ["KEY", "add_book", "books_block", "volume"]


def add_book(engine: Engine, title: str, authors: list[str], **values: Any) -> int:
    """An owned book, its fields from the file's metadata.opf."""
    with engine.begin() as conn:
        book_id, _ = library.add_book(
            conn,
            {"title": title, "authors": authors, **values},
            status="owned",
            origin="library",
            origin_key=f"test:{uuid.uuid4().hex}",
            source="opf",
        )
    return book_id


def books_block(sb: Sandbox, key: str = KEY, **fields: Any) -> GoogleBooks:
    return GoogleBooks(
        api_key=SecretStr(key),
        base_url=sb.googlebooks.base_url,
        batch_uri=sb.googlebooks.batch_uri,
        timeout_seconds=10,
        **fields,
    )
