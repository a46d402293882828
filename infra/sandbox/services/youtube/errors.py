"""YouTube's and Google OAuth's error bodies.

The Data API answers ``{"error": {"code", "message", "errors": [{"message", "domain",
"reason", ...}]}}`` and a client tells a spent unit budget (403 ``quotaExceeded``) from the
upload bucket (400 ``uploadLimitExceeded``) or a bad title by ``errors[0].reason`` only:
google-api-python-client's ``HttpError.error_details`` is that list (it takes ``details``
first when there is one, so these bodies have none, as YouTube's have none). The token
endpoint answers OAuth's ``{"error": "invalid_grant", "error_description": ...}``, which
google-auth turns into ``RefreshError``.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


class YouTubeError(Exception):
    """An error the fake API answers in YouTube's format (or OAuth's, for ``/token``)."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(str(body.get("error")))
        self.status = status
        self.body = body
        self.headers = headers or {}


def api_error(
    code: int,
    reason: str,
    message: str,
    domain: str = "youtube.video",
    *,
    status: str | None = None,
    location: str | None = None,
    location_type: str = "parameter",
    headers: dict[str, str] | None = None,
) -> YouTubeError:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        item["location"] = location
        item["locationType"] = location_type
    error: dict[str, Any] = {"code": code, "message": message, "errors": [item]}
    if status:
        error["status"] = status
    return YouTubeError(code, {"error": error}, headers)


def quota_exceeded() -> YouTubeError:
    return api_error(403, "quotaExceeded", QUOTA_MESSAGE, "youtube.quota")


def upload_limit_exceeded() -> YouTubeError:
    return api_error(
        400, "uploadLimitExceeded", "The user has exceeded the number of videos they may upload."
    )


def unauthenticated() -> YouTubeError:
    message = (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    return api_error(
        401,
        "authError",
        message,
        "global",
        status="UNAUTHENTICATED",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def bad_request(reason: str, message: str, location: str | None = None) -> YouTubeError:
    return api_error(400, reason, message, location=location)


def invalid_argument(message: str, location: str | None = None) -> YouTubeError:
    return api_error(400, "invalidValue", message, "global", location=location)


def not_found(reason: str, message: str, location: str | None = None) -> YouTubeError:
    return api_error(404, reason, message, location=location)


def backend_error(code: int) -> YouTubeError:
    status = {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    message = "Backend Error" if code == 500 else "The service is currently unavailable."
    return api_error(code, "backendError", message, "global", status=status.get(code))


def injected(status: int, code: str | None) -> YouTubeError:
    """What YouTube would answer with ``status``; ``code`` picks a reason where it matters
    (``uploadLimitExceeded`` for a 400, the default 403 is ``quotaExceeded``)."""
    if status == 403:
        return quota_exceeded() if code in (None, "quotaExceeded") else api_error(403, code, code)
    if status == 400:
        if code in (None, "uploadLimitExceeded"):
            return upload_limit_exceeded()
        return bad_request(code, code)
    if status == 401:
        return unauthenticated()
    if status == 404:
        return not_found("notFound", "Not Found")
    if status == 429:
        return api_error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
    if status >= 500:
        return backend_error(status)
    return api_error(status, code or "unknown", "Injected error", "global")


def oauth_error(status: int, error: str, description: str) -> YouTubeError:
    """The token endpoint's errors: ``invalid_grant`` (revoked, expired or unknown refresh
    token), ``invalid_client``, ``invalid_request``, ``unsupported_grant_type``."""
    return YouTubeError(status, {"error": error, "error_description": description})


def error_response(error: YouTubeError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)
