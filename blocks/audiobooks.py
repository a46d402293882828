"""The outside services of the audiobook library: Google Books, the catalogue feed
and the download client."""

from __future__ import annotations

from typing import ClassVar, Literal

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class GoogleBooks(Block):
    """A Google Books API key and how hard the product may use it.

    `base_url` and `batch_uri` point at Google by default; google-api-python-client's
    own batch request ignores the API endpoint and always posts to Google, so the
    batch address is a field of its own.
    """

    _block_type_name: ClassVar[str] = "Google Books"
    _block_type_slug: ClassVar[str] = "google-books"
    _description: ClassVar[str] = "Google Books API v1: API key, endpoint and daily budget."

    api_key: SecretStr = Field(description="An API key of a project with the Books API enabled.")
    base_url: str = Field(default="https://www.googleapis.com", description="API root.")
    batch_uri: str = Field(
        default="https://www.googleapis.com/batch/books/v1", description="Batch endpoint."
    )
    daily_quota: int = Field(
        default=1000, ge=1, description="Requests per quota day (Google's free quota: 1,000)."
    )
    max_in_flight: int = Field(default=8, ge=1, le=32, description="Requests in flight at once.")
    cache_days: float = Field(
        default=25.0, gt=0, description="How long an answer is reused instead of asked again."
    )
    timeout_seconds: float = Field(default=20.0, gt=0, description="Per request.")


class CatalogueFeed(Block):
    """Where new listings and the weekly top-10 lists come from: a feed (RSS, Atom or
    JSON Feed), fetched politely."""

    _block_type_name: ClassVar[str] = "Catalogue feed"
    _block_type_slug: ClassVar[str] = "catalogue-feed"
    _description: ClassVar[str] = "An audiobook catalogue's listings and top-10 feeds."

    url: str = Field(description="The feed of new listings.")
    top10_url: str | None = Field(
        default=None,
        description="The top-10 feed of a genre; '{genre}' is replaced by the genre's name.",
    )
    genres: list[str] = Field(default_factory=list, description="Genres whose top-10 is pulled.")
    username: str | None = Field(default=None, description="HTTP basic-auth user, if any.")
    password: SecretStr | None = Field(default=None, description="HTTP basic-auth password.")
    token: SecretStr | None = Field(default=None, description="Bearer token, if any.")
    min_interval_seconds: float = Field(
        default=2.0, ge=0, description="At least this long between two requests to the feed."
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Per request.")
    max_bytes: int = Field(default=10_000_000, gt=0, description="A larger answer is refused.")


class DownloadClient(Block):
    """The download client wanted books are handed to (qBittorrent's Web API v2 first)."""

    _block_type_name: ClassVar[str] = "Download client"
    _block_type_slug: ClassVar[str] = "download-client"
    _description: ClassVar[str] = "A download client's web API (qBittorrent Web API v2)."

    kind: Literal["qbittorrent"] = Field(default="qbittorrent", description="Client type.")
    url: str = Field(description="Web UI root, e.g. http://nas.local:8080")
    username: str = Field(description="Web UI user.")
    password: SecretStr = Field(description="Web UI password.")
    category: str = Field(default="audiobooks", description="Category given to added items.")
    save_path: str | None = Field(default=None, description="Where the client saves them.")
    timeout_seconds: float = Field(default=20.0, gt=0, description="Per request.")
