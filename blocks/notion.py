"""The Notion database that holds saved social-media links."""

from __future__ import annotations

from typing import ClassVar

from notion_client import Client, RetryOptions
from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class NotionLinksSource(Block):
    """Where saved links live and which properties the flow reads and writes.

    Property names are configurable because every user's database is laid out by
    hand; the flow checks them against the database schema before it claims
    anything, so a typo fails the run at its first step instead of halfway.
    """

    _block_type_name: ClassVar[str] = "Notion links source"
    _block_type_slug: ClassVar[str] = "notion-links-source"
    _description: ClassVar[str] = (
        "A Notion database of saved social-media links (API version 2025-09-03)."
    )

    token: SecretStr = Field(description="Notion integration token (secret_... or ntn_...).")
    database_id: str = Field(description="Id of the database, as in its URL.")
    data_source: str | None = Field(
        default=None,
        description="Name or id of the data source, for a database with several.",
    )
    base_url: str = Field(
        default="https://api.notion.com", description="Notion API root; the sandbox in tests."
    )
    url_property: str = Field(default="URL", description="url property with the link.")
    status_property: str = Field(
        default="Status", description="status property: empty/New, Processing, Done, Failed."
    )
    file_property: str = Field(default="File", description="rich_text property for the file.")
    error_property: str = Field(default="Error", description="rich_text property for errors.")
    platform_property: str | None = Field(
        default="Platform", description="select property for the platform; empty to skip."
    )
    size_property: str | None = Field(
        default="Size", description="number property for the size in bytes; empty to skip."
    )
    title_property: str | None = Field(
        default="Media title", description="rich_text property for the media title; empty to skip."
    )
    timeout_seconds: float = Field(default=30.0, description="Per-request timeout.")

    def client(self) -> Client:
        """A notion-client that honours 429 Retry-After itself.

        The client's own retry covers short rate-limit waits with the server's
        Retry-After; longer outages are left to the Prefect task retries above it.
        """
        return Client(
            auth=self.token.get_secret_value(),
            base_url=self.base_url.rstrip("/"),
            timeout_ms=int(self.timeout_seconds * 1000),
            retry=RetryOptions(
                max_retries=4, initial_retry_delay_ms=500, max_retry_delay_ms=60_000
            ),
        )
