"""Fetching the catalogue's feeds politely: one client that paces itself, asks only for
what changed, obeys a server that says "later", and names itself.

The seed crawled a private site and dodged its limits; this product is the opposite
guest. Every request carries a User-Agent that names the product, the validators of
the last answer (a 304 means nothing new, which is a success), and waits at least
the block's `min_interval_seconds` after the previous request to the catalogue, over
every feed a run fetches (listings and each genre's top-10). A 429 or 503 with a
Retry-After is waited out when the wait is short; a longer one, or one without a
Retry-After, is a TransientError for a later retry, never a tighter loop.

Validators are stored by the caller after it stored the items (`save_validators`),
so a run that dies in between fetches the same feed again instead of skipping it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType

import httpx
from sqlalchemy import Connection, insert, select, update

from blocks.audiobooks import CatalogueFeed
from flows.audiobooks import CATALOGUE_BLOCK
from flows.audiobooks.tables import audiobook_feed_state
from flows.common.errors import ConfigError, PermanentError, TransientError
from flows.common.times import utcnow
from flows.common.urls import shown_url

try:
    _VERSION = version("prefect-automations")
except PackageNotFoundError:  # running from a checkout that was never installed
    _VERSION = "dev"

USER_AGENT = f"prefect-automations-audiobooks/{_VERSION} (+catalogue sync)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
#: The longest Retry-After a run waits out itself; a longer one ends the attempt.
RETRY_AFTER_CAP = 120.0
#: How many Retry-After waits one request gets before it gives up for this attempt.
MAX_WAITS = 3


@dataclass(frozen=True)
class Validators:
    """What the last full answer of a URL said about its version."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """One answer: 200 with a body, or 304 (nothing changed since the validators sent)."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def load_validators(conn: Connection, url: str) -> Validators:
    row = (
        conn.execute(
            select(audiobook_feed_state).where(audiobook_feed_state.c.url_key == _url_key(url))
        )
        .mappings()
        .one_or_none()
    )
    return Validators(row["etag"], row["last_modified"]) if row else Validators()


def save_validators(conn: Connection, fetched: Fetched) -> None:
    """Remember a full answer's validators, so the next run asks "changed since?"."""
    if fetched.not_modified:
        return
    key = _url_key(fetched.url)
    values = {
        "etag": fetched.validators.etag,
        "last_modified": fetched.validators.last_modified,
        "fetched_at": utcnow(),
    }
    done = conn.execute(
        update(audiobook_feed_state).where(audiobook_feed_state.c.url_key == key).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(audiobook_feed_state).values(url_key=key, **values))


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class CatalogueFetcher:
    """The one HTTP client a run uses for the catalogue; share it between the listings
    and the top-10 fetches of a run so the pacing covers all of them."""

    def __init__(
        self,
        block: CatalogueFeed,
        *,
        block_name: str = CATALOGUE_BLOCK,
        max_retry_after: float = RETRY_AFTER_CAP,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.block = block
        self.block_name = block_name
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_done: float | None = None
        self.requests = 0
        auth: httpx.Auth | None = None
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
        if block.token is not None:
            headers["Authorization"] = f"Bearer {block.token.get_secret_value()}"
        elif block.username:
            password = block.password.get_secret_value() if block.password else ""
            auth = httpx.BasicAuth(block.username, password)
        self._client = httpx.Client(
            timeout=block.timeout_seconds,
            headers=headers,
            auth=auth,
            follow_redirects=True,
            max_redirects=5,
        )

    def __enter__(self) -> CatalogueFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _pace(self) -> None:
        if self._last_done is None:
            return
        wait = self.block.min_interval_seconds - (self._monotonic() - self._last_done)
        if wait > 0:
            self._sleep(wait)

    def get(self, url: str, validators: Validators | None = None) -> Fetched:
        """The feed at `url`, or a 304 when `validators` still describe it.

        Raises ConfigError (credentials refused), PermanentError (no such feed, too
        large, any other 4xx) or TransientError (network, 5xx, a long or repeated
        "come back later").
        """
        shown = shown_url(url)
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        waits = 0
        while True:
            self._pace()
            try:
                status, reply_headers, body = self._request(url, headers, shown)
            finally:
                self._last_done = self._monotonic()
                self.requests += 1
            if status in (429, 503):
                delay = _retry_after(reply_headers.get("retry-after"), utcnow())
                if delay is None:
                    raise TransientError(f"catalogue feed {shown}: HTTP {status}, try later")
                if delay > self.max_retry_after or waits >= MAX_WAITS:
                    raise TransientError(
                        f"catalogue feed {shown}: HTTP {status}, asked to wait {delay:.0f} s "
                        f"(this run waits at most {self.max_retry_after:.0f} s, "
                        f"{MAX_WAITS} times)"
                    )
                waits += 1
                self._sleep(delay)
                continue
            self._check(status, shown)
            return Fetched(
                url=url,
                status=status,
                body=body,
                content_type=reply_headers.get("content-type"),
                validators=Validators(
                    reply_headers.get("etag"), reply_headers.get("last-modified")
                ),
            )

    def _request(self, url: str, headers: dict[str, str], shown: str) -> tuple[int, dict, bytes]:
        limit = self.block.max_bytes
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                reply = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code != 200:
                    return response.status_code, reply, b""
                declared = reply.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise PermanentError(
                        f"catalogue feed {shown}: {declared} bytes, more than the "
                        f"{limit} bytes the block allows (max_bytes)"
                    )
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise PermanentError(
                            f"catalogue feed {shown}: more than the {limit} bytes the block "
                            "allows (max_bytes)"
                        )
                    chunks.append(chunk)
                return 200, reply, b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"catalogue feed {shown}: no answer within {self.block.timeout_seconds:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            detail = str(exc).replace(url, shown)
            raise TransientError(f"catalogue feed {shown}: {type(exc).__name__}: {detail}") from exc

    def _check(self, status: int, shown: str) -> None:
        if status in (200, 304):
            return
        if status in (401, 403):
            given = self.block.token is not None or bool(self.block.username)
            why = "refused the credentials" if given else "needs credentials (none are set)"
            raise ConfigError(f"{self.block_name} block: {shown} {why} (HTTP {status})")
        if status >= 500:
            raise TransientError(f"catalogue feed {shown}: HTTP {status}")
        if status in (404, 410):
            raise PermanentError(f"catalogue feed {shown}: HTTP {status}, no such feed")
        raise PermanentError(f"catalogue feed {shown}: HTTP {status}")
