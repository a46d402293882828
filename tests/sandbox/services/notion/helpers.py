"""What the fake Notion's tests share: the token they seed with and a notion-client on it."""

from __future__ import annotations

from notion_client import Client
from notion_client.client import RetryOptions

from infra.sandbox.core.client import Sandbox

TOKEN = "test-token"


def client(sb: Sandbox, token: str = TOKEN) -> Client:
    """The real notion-client against the sandbox, with retries short enough for tests."""
    retry = RetryOptions(max_retries=2, initial_retry_delay_ms=20, max_retry_delay_ms=3000)
    return Client(auth=token, base_url=sb.notion.base_url, retry=retry)
