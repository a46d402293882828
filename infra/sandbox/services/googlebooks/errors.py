"""Google's JSON errors: ``{"error": {"code", "message", "errors": [...], "status",
"details": [{"@type": ".../google.rpc.ErrorInfo", "reason", "domain", "metadata"}]}}``.

A client tells a bad key from a disabled API, and a per-day quota from a per-minute
one, only by these fields, so the fake answers every error (injected faults too) in
the real shape, with the real reasons and quota limit names.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

SERVICE = "books.googleapis.com"
PROJECT = "projects/424242424242"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"

PER_DAY = "day"
PER_MINUTE = "minute"


class GoogleError(Exception):
    """An error the fake API answers in Google's format."""

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body["error"]["message"])
        self.body = body
        self.status = int(body["error"]["code"])
        self.headers = headers or {}


def _body(
    code: int,
    status: str,
    message: str,
    legacy_reason: str,
    domain: str = "global",
    info_reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": legacy_reason}],
        "status": status,
    }
    if info_reason:
        error["details"] = [
            {
                "@type": ERROR_INFO,
                "reason": info_reason,
                "domain": "googleapis.com",
                "metadata": {"service": SERVICE, **(metadata or {})},
            }
        ]
    return {"error": error}


def key_invalid() -> GoogleError:
    return GoogleError(
        _body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            "badRequest",
            info_reason="API_KEY_INVALID",
        )
    )


def key_missing() -> GoogleError:
    return GoogleError(
        _body(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity)."
            " Please use API Key or other form of API consumer identity to call this API.",
            "forbidden",
        )
    )


def service_disabled() -> GoogleError:
    message = (
        f"Books API has not been used in project {PROJECT.split('/')[1]} before or it is "
        "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
        f"{SERVICE}/overview?project={PROJECT.split('/')[1]} then retry."
    )
    return GoogleError(
        _body(
            403,
            "PERMISSION_DENIED",
            message,
            "accessNotConfigured",
            domain="usageLimits",
            info_reason="SERVICE_DISABLED",
            metadata={"consumer": PROJECT},
        )
    )


def quota_exceeded(per: str, limit: int | None = None) -> GoogleError:
    """429 RESOURCE_EXHAUSTED; ``per`` is PER_DAY or PER_MINUTE, as its ErrorInfo says."""
    day = per == PER_DAY
    limit_name = "Queries per day" if day else "Queries per minute"
    message = (
        f"Quota exceeded for quota metric 'Queries' and limit '{limit_name}' of service "
        f"'{SERVICE}' for consumer 'project_number:{PROJECT.split('/')[1]}'."
    )
    metadata = {
        "consumer": PROJECT,
        "quota_metric": f"{SERVICE}/default",
        "quota_limit": "defaultPerDayPerProject" if day else "defaultPerMinutePerProject",
        "quota_location": "global",
    }
    if limit is not None:
        metadata["quota_limit_value"] = str(limit)
    return GoogleError(
        _body(
            429,
            "RESOURCE_EXHAUSTED",
            message,
            "rateLimitExceeded",
            info_reason="RATE_LIMIT_EXCEEDED",
            metadata=metadata,
        )
    )


def invalid_value(message: str) -> GoogleError:
    return GoogleError(_body(400, "INVALID_ARGUMENT", message, "invalid"))


def not_found(message: str = "The requested URL was not found on this server.") -> GoogleError:
    return GoogleError(_body(404, "NOT_FOUND", message, "notFound"))


def backend_error(code: int) -> GoogleError:
    status = {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    message = "Backend Error" if code == 500 else "The service is currently unavailable."
    return GoogleError(_body(code, status.get(code, "UNKNOWN"), message, "backendError"))


def injected(status: int, code: str | None) -> GoogleError:
    """What Google would answer with ``status``; for 429, ``code`` "day" makes it the
    per-day quota (the default is the per-minute one, the retryable kind)."""
    if status == 429:
        return quota_exceeded(PER_DAY if code == PER_DAY else PER_MINUTE)
    if status == 400:
        return key_invalid() if code == "API_KEY_INVALID" else invalid_value("Invalid value")
    if status == 403:
        return service_disabled() if code == "SERVICE_DISABLED" else key_missing()
    if status == 404:
        return not_found()
    if status >= 500:
        return backend_error(status)
    return GoogleError(_body(status, "UNKNOWN", "Injected error", "unknown"))


def error_response(error: GoogleError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)
