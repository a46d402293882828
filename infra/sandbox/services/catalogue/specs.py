"""Bodies of the catalogue's control API, checked on the way in so a typo is a 400, not a
test that silently serves another feed than it meant to."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from infra.sandbox.core.clock import parse_iso_ms

#: "listings", or "top10/<genre>" for a genre's top-10 list.
_FEED = re.compile(r"listings|top10/[a-z0-9][a-z0-9_-]{0,63}")


def check_feed(value: str) -> str:
    if not _FEED.fullmatch(value):
        raise ValueError(f"feed must be 'listings' or 'top10/<genre>', got {value!r}")
    return value


class ItemSpec(BaseModel):
    """One listing. Every field may be missing, as in feeds found in the wild: an item
    without ``title`` is how a test serves one, without ``id`` one with no guid."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="guid; None = the item carries none")
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    series: str | None = None
    position: float | None = None
    language: str | None = None
    isbn: str | None = None
    link: str | None = Field(default=None, description="magnet link or .torrent URL")
    published: str | None = Field(default=None, description="ISO 8601")
    genre: str | None = None
    rank: int | None = Field(default=None, ge=1)
    description: str | None = None

    @field_validator("published")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_iso_ms(value)
        return value


class ItemsSpec(BaseModel):
    """``POST /_sandbox/catalogue/items``: add items to a feed (an item whose ``id`` is
    there already replaces it in place), or replace the feed's items with ``replace``."""

    model_config = ConfigDict(extra="forbid")

    feed: str = "listings"
    items: list[ItemSpec]
    replace: bool = False

    @field_validator("feed")
    @classmethod
    def _feed(cls, value: str) -> str:
        return check_feed(value)


class RawSpec(BaseModel):
    """``POST /_sandbox/catalogue/raw``: answer this body (status 200) instead of the feed;
    ``body: null`` serves the feed again."""

    model_config = ConfigDict(extra="forbid")

    feed: str = "listings"
    body: str | None
    content_type: str = "text/html; charset=utf-8"

    @field_validator("feed")
    @classmethod
    def _feed(cls, value: str) -> str:
        return check_feed(value)


class AuthSpec(BaseModel):
    """``POST /_sandbox/catalogue/auth``: basic credentials, a bearer token, or neither
    (every feed open again)."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = None
    password: str | None = None
    token: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AuthSpec:
        basic = self.username is not None or self.password is not None
        if basic and (self.username is None or self.password is None):
            raise ValueError("basic auth needs both username and password")
        if basic and self.token is not None:
            raise ValueError("give basic credentials or a token, not both")
        return self
