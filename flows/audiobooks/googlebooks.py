"""The Google Books API v1 through google-api-python-client, with the app database's
daily budget and answer cache in front of it, and Google's errors sorted by what the
caller must do about them.

- 400 API_KEY_INVALID, 403 SERVICE_DISABLED / accessNotConfigured: the block is wrong
  (ConfigError naming the block); no retry helps.
- 429 whose ErrorInfo names a per-day limit: QuotaExhausted, stop for the day.
- 429 per minute, 5xx, a dropped connection or timeout: TransientError; the caller's
  Prefect task retries with backoff.

Never `num_retries`: the client would retry every 429, the daily one included, and
spend the budget on refusals. `new_batch_http_request()` would post to Google's own
batch address whatever `api_endpoint` says, so batches go through `BatchHttpRequest`
with the block's `batch_uri`. The key never appears in an error or log: the client
puts the request URL, `key=` included, in HttpError's text, so none of that text is
used and anything that still carries a key is scrubbed.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest
from sqlalchemy import Engine

from blocks.audiobooks import GoogleBooks
from flows.audiobooks.cache import AnswerCache, request_key
from flows.audiobooks.quota import Budget, QuotaExhausted
from flows.common.errors import ConfigError, PermanentError, TransientError

# The discovery module logs every request URL, key included, at DEBUG.
logging.getLogger("googleapiclient.discovery").setLevel(logging.INFO)

MAX_RESULTS = 40  # Google's limit per page
_KEY_IN_TEXT = re.compile(r"(key=)[^&\s\"']+", re.IGNORECASE)


def scrub(text: str) -> str:
    """`key=...` anywhere in a text, blanked."""
    return _KEY_IN_TEXT.sub(r"\1***", text)


@dataclass(frozen=True)
class Search:
    """One `volumes.list` request."""

    q: str
    start_index: int = 0
    max_results: int = 10
    lang: str | None = None

    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {"q": self.q, "maxResults": self.max_results}
        if self.start_index:
            found["startIndex"] = self.start_index
        if self.lang:
            found["langRestrict"] = self.lang
        return found

    @property
    def key(self) -> str:
        return request_key(self.params())

    def describe(self) -> str:
        extra = f" from {self.start_index}" if self.start_index else ""
        return f"q={self.q!r}{extra}" + (f" lang={self.lang}" if self.lang else "")


def _reasons(content: bytes | str | None) -> tuple[int | None, str, set[str], set[str]]:
    """(code, message, reasons, quota limits) from Google's error JSON."""
    try:
        body = json.loads(content or b"{}")
        error = body.get("error") or {}
    except (ValueError, AttributeError):
        return None, "", set(), set()
    if not isinstance(error, dict):
        return None, str(error), set(), set()
    reasons = {str(e.get("reason", "")) for e in error.get("errors") or [] if isinstance(e, dict)}
    limits: set[str] = set()
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            reasons.add(str(detail.get("reason", "")))
            meta = detail.get("metadata") or {}
            if isinstance(meta, dict) and meta.get("quota_limit"):
                limits.add(str(meta["quota_limit"]))
    return error.get("code"), str(error.get("message", "")), reasons - {""}, limits


def classify(status: int, content: bytes | str | None, block_name: str) -> Exception:
    """The error the product raises for Google's answer `status` / `content`."""
    _, message, reasons, limits = _reasons(content)
    message = scrub(message)[:300]
    where = f"{block_name} block"
    if status == 400 and ("API_KEY_INVALID" in reasons or "keyInvalid" in reasons):
        return ConfigError(f"{where}: API key invalid (Google answered 400 API_KEY_INVALID)")
    if status == 403 and reasons & {"SERVICE_DISABLED", "accessNotConfigured"}:
        return ConfigError(
            f"{where}: Books API not enabled for the key's project (Google answered 403 "
            "SERVICE_DISABLED); enable it in the Google Cloud console"
        )
    per_day = any("perday" in limit.lower() for limit in limits) or "per day" in message.lower()
    if status == 429 or (status == 403 and reasons & {"rateLimitExceeded", "dailyLimitExceeded"}):
        if per_day or "dailyLimitExceeded" in reasons:
            return QuotaExhausted(f"{where}: Google says today's quota is spent: {message}")
        return TransientError(f"Google Books rate limit (HTTP {status}): {message}")
    if status >= 500:
        return TransientError(f"Google Books answered HTTP {status}: {message}")
    if status in (401, 403):
        return ConfigError(f"{where}: Google refused the key (HTTP {status}): {message}")
    return PermanentError(f"Google Books answered HTTP {status}: {message}")


def _network_error(exc: BaseException) -> TransientError:
    return TransientError(f"Google Books unreachable: {type(exc).__name__}: {scrub(str(exc))}")


_NETWORK = (
    httplib2.HttpLib2Error,
    socket.timeout,
    TimeoutError,
    ConnectionError,
    ssl.SSLError,
    OSError,
)


class GoogleBooksApi:
    """`volumes.list`, one request or a batch; one httplib2.Http per thread (it is not
    thread-safe), each with the block's timeout."""

    def __init__(self, block: GoogleBooks, block_name: str) -> None:
        self.block = block
        self.block_name = block_name
        self._local = threading.local()
        endpoint = block.base_url.rstrip("/") + "/"  # relative method paths join under it
        self.service = build(
            "books",
            "v1",
            developerKey=block.api_key.get_secret_value(),
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            http=self._http(),
            cache_discovery=False,
        )

    def _http(self) -> httplib2.Http:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = httplib2.Http(timeout=self.block.timeout_seconds)
        return http

    def _check(self, answer: Any) -> dict[str, Any]:
        if not isinstance(answer, dict) or answer.get("kind") not in (None, "books#volumes"):
            raise TransientError("Google Books answered something that is not a volume list")
        return answer

    def list(self, search: Search) -> dict[str, Any]:
        """One request; the answer or a classified error (no retry here)."""
        request = self.service.volumes().list(**search.params())
        try:
            return self._check(request.execute(http=self._http()))
        except HttpError as exc:
            raise classify(exc.resp.status, exc.content, self.block_name) from None
        except ValueError as exc:  # a body that is not JSON
            raise TransientError(
                f"Google Books answered unreadable JSON: {scrub(str(exc))}"
            ) from None
        except _NETWORK as exc:
            raise _network_error(exc) from None

    def list_batch(self, searches: Sequence[Search]) -> list[dict[str, Any] | Exception]:
        """Up to 40 searches in one HTTP request to the block's batch address; one answer
        or classified error per search, in order."""
        results: list[dict[str, Any] | Exception] = [
            TransientError("no answer in the batch")
        ] * len(searches)

        def done(request_id: str, response: Any, exception: Exception | None) -> None:
            index = int(request_id)
            if isinstance(exception, HttpError):
                results[index] = classify(exception.resp.status, exception.content, self.block_name)
            elif exception is not None:
                results[index] = TransientError(scrub(str(exception)))
            else:
                results[index] = self._check(response)

        batch = BatchHttpRequest(callback=done, batch_uri=self.block.batch_uri)
        for index, search in enumerate(searches):
            batch.add(self.service.volumes().list(**search.params()), request_id=str(index))
        try:
            batch.execute(http=self._http())
        except HttpError as exc:
            raise classify(exc.resp.status, exc.content, self.block_name) from None
        except _NETWORK as exc:
            raise _network_error(exc) from None
        return results


class Books:
    """Searches answered from the cache when it can, else through the budget and the API.

    `requests` counts what this object sent (tests and the run's summary read it). A
    plain class, not a dataclass: Prefect walks dataclass task arguments field by field.
    """

    def __init__(self, api: GoogleBooksApi, budget: Budget, cache: AnswerCache) -> None:
        self.api = api
        self.budget = budget
        self.cache = cache
        self.requests = 0
        self._lock = threading.Lock()

    def cached(self, searches: Sequence[Search]) -> dict[str, dict]:
        """Answers still cached, by `Search.key`, in one pass over the cache."""
        return self.cache.get_many([s.key for s in searches])

    def answer(self, search: Search, store: bool = True) -> tuple[dict[str, Any], bool]:
        """(answer, asked): the cached answer, or one request counted against the budget
        (cached here unless `store` is false: the caller stores it with its own writes)."""
        found = self.cache.get(search.key)
        if found is not None:
            return found, False
        self.budget.reserve()
        with self._lock:
            self.requests += 1
        try:
            answer = self.api.list(search)
        except QuotaExhausted:
            self.budget.mark_exhausted()
            raise
        if store:
            self.cache.put(search.key, search.describe(), answer)
        return answer, True


def connect(block: GoogleBooks, block_name: str, engine: Engine) -> Books:
    """The block's API behind the app database's budget and cache."""
    return Books(
        api=GoogleBooksApi(block, block_name),
        budget=Budget(engine, block.api_key.get_secret_value(), block.daily_quota, block_name),
        cache=AnswerCache(engine, block.cache_days),
    )
