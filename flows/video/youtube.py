"""The YouTube Data API v3 through google-api-python-client, and YouTube's answers sorted
by what the caller must do about them.

- A refresh token the token endpoint refuses (`invalid_grant`: expired or revoked), a
  401 after a fresh token, a CA bundle that does not verify the server: the block is
  wrong; `ConfigError` naming the block. No retry can help, so none is made (one refusal,
  not a retry storm against the token endpoint).
- `quotaExceeded` (403) or `uploadLimitExceeded` (400): `QuotaExhausted`, carrying the
  next midnight Pacific time; never retried blindly.
- 5xx, 429, a rate limit, a dropped connection, a timeout: `TransientError`; the caller's
  Prefect task retries with backoff.
- Anything else YouTube refuses: `YouTubeError` (permanent) with YouTube's own message.

Never `num_retries`: the client library would retry a 403 rate limit and every 5xx by
itself, without the caller's bookkeeping. The service is built from the bundled static
discovery document (no network call to Google's discovery service), on an httplib2.Http
with the block's CA bundle and timeout. Error text never carries a URL: an upload's
session URI is a capability, and the library puts request URLs in HttpError's text.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError

from flows.common.errors import AutomationError, ConfigError, PermanentError, TransientError
from flows.video import YOUTUBE_BLOCK
from flows.video.quota import UNITS, UPLOADS, Budget, QuotaExhausted, next_reset

if TYPE_CHECKING:  # Prefect's import is heavy; a block's fields are all this module reads.
    from blocks.video import YouTubeChannel

# The discovery module logs every request URL at DEBUG, an upload's session among them.
logging.getLogger("googleapiclient.discovery").setLevel(logging.INFO)

SCOPES = ("https://www.googleapis.com/auth/youtube.upload",)
QUOTA_REASONS = frozenset({"quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Errors of the network, not of the request: trying again later may work.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    httplib2.HttpLib2Error,
    socket.timeout,
    TimeoutError,
    ConnectionError,
    OSError,
    google.auth.exceptions.TransportError,
)


class YouTubeError(PermanentError):
    """YouTube refused a request for a reason a retry cannot fix (a bad body, a video
    that does not exist); the message is YouTube's own."""

    def __init__(
        self, message: str, *, status: int | None = None, reasons: frozenset = frozenset()
    ):
        super().__init__(message)
        self.status = status
        self.reasons = reasons


@dataclass(frozen=True)
class Context:
    """What the upload and analytics code needs besides the Resource: which block the
    service was built from (errors name it), its budget, and how to open the guarded
    transport uploads send their chunks on."""

    block_name: str
    budget: Budget
    credentials: Credentials
    ca_bundle: str | None
    timeout: float


_CONTEXT_ATTR = "_automations_context"


def credentials_for(channel: YouTubeChannel) -> Credentials:
    """OAuth credentials that get their access token from the block's refresh token (at
    the first request, and again when it expires)."""
    return Credentials(
        token=None,
        refresh_token=channel.refresh_token.get_secret_value(),
        token_uri=channel.token_uri,
        client_id=channel.client_id.get_secret_value(),
        client_secret=channel.client_secret.get_secret_value(),
        scopes=list(SCOPES),
    )


def plain_http(
    ca_bundle: str | None, timeout: float, *, http_class: type[httplib2.Http] = httplib2.Http
) -> httplib2.Http:
    """An httplib2.Http with the block's CA bundle and timeout that leaves a 308 alone:
    resumable uploads answer `308 Resume Incomplete`, which is no redirect."""
    http = http_class(ca_certs=ca_bundle or None, timeout=timeout)
    http.redirect_codes = http.redirect_codes - {308}
    return http


def youtube_service(channel: YouTubeChannel, *, block_name: str = YOUTUBE_BLOCK) -> Resource:
    """The `youtube` v3 Resource for the block: static discovery, the block's endpoint,
    CA bundle and timeout, credentials from its refresh token.

    Nothing is sent yet: a refused refresh token shows at the first call, as
    `ConfigError` naming the block (through `execute`, `upload_video`, ...)."""
    creds = credentials_for(channel)
    authed = google_auth_httplib2.AuthorizedHttp(
        creds, http=plain_http(channel.ca_bundle, channel.timeout_seconds)
    )
    service = build(
        "youtube",
        "v3",
        http=authed,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": channel.api_endpoint},
    )
    context = Context(
        block_name=block_name,
        budget=Budget.of(channel),
        credentials=creds,
        ca_bundle=channel.ca_bundle,
        timeout=channel.timeout_seconds,
    )
    setattr(service, _CONTEXT_ATTR, context)
    return service


def context_of(service: Resource) -> Context:
    """The block name, budget and credentials `youtube_service` built `service` with."""
    found = getattr(service, _CONTEXT_ATTR, None)
    if found is None:
        raise ConfigError("a YouTube service not made by flows.video.youtube.youtube_service")
    return found


# --- errors ----------------------------------------------------------------------------


def google_error(content: bytes | str | None) -> tuple[str, frozenset[str]]:
    """(message, reasons) from Google's error JSON; ("", {}) when it is not that."""
    try:
        error = json.loads(content or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        return "", frozenset()
    if not isinstance(error, dict):
        return str(error)[:300], frozenset()
    reasons = {str(e.get("reason", "")) for e in error.get("errors") or [] if isinstance(e, dict)}
    return str(error.get("message", ""))[:300], frozenset(reasons - {""})


def classify_response(
    status: int,
    content: bytes | str | None,
    *,
    block_name: str,
    what: str,
    bucket: str = UNITS,
) -> AutomationError:
    """The error for YouTube's answer `status`/`content` to `what` (e.g. "videos.insert").

    `bucket` is the budget a quota refusal of this call spends: `uploads` for
    videos.insert, `units` for the rest."""
    message, reasons = google_error(content)
    said = f"YouTube answered {what} with HTTP {status}" + (f": {message}" if message else "")
    if reasons & QUOTA_REASONS:
        reset = next_reset()
        if "uploadLimitExceeded" in reasons:
            bucket = UPLOADS
        return QuotaExhausted(
            f"{said} ({', '.join(sorted(reasons))}); the {bucket} budget of block "
            f"{block_name!r} is spent until {reset.isoformat()}",
            channel=block_name,
            bucket=bucket,
            reset_at=reset,
        )
    if status >= 500 or status == 429 or (status == 403 and reasons & RATE_REASONS):
        return TransientError(said)
    if status == 401:
        return ConfigError(
            f"{said}; block {block_name!r}: the channel's credentials are not accepted "
            "(re-authorize it and save a new refresh token)"
        )
    return YouTubeError(said, status=status, reasons=reasons)


def classify_exception(
    exc: BaseException, *, block_name: str, what: str, bucket: str = UNITS
) -> BaseException:
    """The product's error for an exception out of the client library, or `exc` itself
    when it already is one (or is a bug to let through)."""
    if isinstance(exc, AutomationError):
        return exc
    if isinstance(exc, HttpError):
        return classify_response(
            exc.resp.status, exc.content, block_name=block_name, what=what, bucket=bucket
        )
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return refresh_error(exc, block_name=block_name)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConfigError(
            f"block {block_name!r}: the YouTube server's certificate does not verify "
            f"({exc.verify_message}); check the block's api_endpoint and ca_bundle"
        )
    if isinstance(exc, NETWORK_ERRORS):
        return TransientError(f"YouTube unreachable during {what}: {type(exc).__name__}: {exc}")
    return exc


def refresh_error(exc: google.auth.exceptions.RefreshError, *, block_name: str) -> AutomationError:
    """The token endpoint refused the refresh token (`invalid_grant`: expired or revoked,
    `invalid_client`: wrong client): the block must be fixed, so `ConfigError`. A 5xx of
    the token endpoint (google-auth marks it retryable) is transient."""
    data = exc.args[1] if len(exc.args) > 1 else None
    code = data.get("error") if isinstance(data, dict) else None
    if getattr(exc, "retryable", False):
        return TransientError(f"YouTube's token endpoint failed ({code or 'no answer'})")
    detail = f" ({code})" if isinstance(code, str) else ""
    return ConfigError(
        f"block {block_name!r}: the OAuth token endpoint refused the channel's refresh "
        f"token{detail}: it has expired or been revoked; re-authorize the channel and save "
        "a new refresh token in the block"
    )


def execute(
    request: Any, *, block_name: str = YOUTUBE_BLOCK, what: str, bucket: str = UNITS
) -> Any:
    """`request.execute()` once (never `num_retries`), errors classified."""
    try:
        return request.execute(num_retries=0)
    except Exception as exc:
        mapped = classify_exception(exc, block_name=block_name, what=what, bucket=bucket)
        if mapped is exc:
            raise
        raise mapped from None
