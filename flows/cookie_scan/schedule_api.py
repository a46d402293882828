"""Fetching the schedule API's answer: one GET, a timeout, a size cap, the token as a
bearer header.

The URL is the user's own setting (the block), so it is fetched as given; what the
answer says is outside input and is checked entry by entry (`validation`). Errors
name the URL without its query's secret-looking values and never the token; the
token itself is never logged. Transient failures (connection, timeout, 429, 5xx)
are `TransientError`, which the sync flow's task retries; a refused token (401/403),
a missing endpoint (404) or an answer that is no schedule list are permanent.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from blocks.cookie_scan import CookieScheduleApi
from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.common.urls import shown_url

USER_AGENT = "prefect-automations-cookie-scan (+schedule sync)"


class ScheduleApiError(PermanentError):
    """The API answered, but not with a schedule list we can read."""


def _error_text(body: bytes) -> str:
    """A short excerpt of an error body, for the message."""
    text = body[:300].decode("utf-8", errors="replace").strip()
    return " ".join(text.split()) or "(empty body)"


def fetch_entries(block: CookieScheduleApi, transport: httpx.BaseTransport | None = None) -> list:
    """The `data` list of the API's answer (entries not yet checked)."""
    url = shown_url(block.url)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if block.token is not None and block.token.get_secret_value():
        headers["Authorization"] = f"Bearer {block.token.get_secret_value()}"
    try:
        with (
            httpx.Client(
                timeout=block.timeout_seconds, follow_redirects=True, transport=transport
            ) as client,
            client.stream("GET", block.url, headers=headers) as response,
        ):
            body = _read_capped(response, block.max_bytes, url)
            status = response.status_code
    except httpx.TimeoutException:
        raise TransientError(
            f"schedule API {url}: no answer within {block.timeout_seconds:g} s"
        ) from None
    except httpx.TransportError as exc:
        raise TransientError(f"schedule API {url}: {type(exc).__name__}: {exc}") from None
    except httpx.InvalidURL as exc:
        raise ConfigError(f"schedule API URL {url!r} is not usable: {exc}") from None
    if status in (401, 403):
        raise ConfigError(
            f"schedule API {url} refused the token (HTTP {status}): check the block's token; "
            f"it said: {_error_text(body)}"
        )
    if status == 429 or status >= 500:
        raise TransientError(f"schedule API {url}: HTTP {status}: {_error_text(body)}")
    if status >= 400:
        raise ScheduleApiError(f"schedule API {url}: HTTP {status}: {_error_text(body)}")
    return parse_answer(body, url)


def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ScheduleApiError(
            f"schedule API {url}: answer of {int(declared)} bytes is over the block's "
            f"max_bytes ({limit}); refused unread"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise ScheduleApiError(
                f"schedule API {url}: answer is over the block's max_bytes ({limit}); "
                "refused unread"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse_answer(body: bytes, url: str) -> list[Any]:
    """`{"data": [...]}` as the seed defines it; ScheduleApiError for anything else."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScheduleApiError(
            f"schedule API {url}: the answer is not JSON ({exc}): {_error_text(body)}"
        ) from None
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
        raise ScheduleApiError(
            f'schedule API {url}: expected {{"data": [...]}}, got {_error_text(body)}'
        )
    return answer["data"]
