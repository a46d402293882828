"""Notion's errors: ``{"object": "error", "status", "code", "message", "request_id"}``.

notion-client reads ``code`` to decide what it raises and whether it retries, so every
error the fake API answers, including injected faults, has the real shape and codes.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import JSONResponse

#: Code and message of the real API per status, for injected faults.
_CODES = {
    400: ("validation_error", "The request body does not match the expected schema."),
    401: ("unauthorized", "API token is invalid."),
    403: ("restricted_resource", "API token does not have access to this resource."),
    404: ("object_not_found", "Could not find the requested object."),
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    502: ("internal_server_error", "Bad gateway."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
    504: ("gateway_timeout", "The request timed out."),
}
#: A list response cut off in the middle, for injected malformed bodies.
MALFORMED_BODY = b'{"object": "list", "results": [{"object": "page", "id": "'


class NotionError(Exception):
    """An error the fake API answers with ``{"object": "error", ...}``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def validation_error(message: str) -> NotionError:
    """Shortcut for the most common error: 400 ``validation_error``."""
    return NotionError(400, "validation_error", message)


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The JSON body of a Notion API error, as notion-client parses it."""
    return {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": str(uuid.uuid4()),
    }


def error_response(error: NotionError) -> JSONResponse:
    """Render a ``NotionError`` as the real API does."""
    body = error_body(error.status, error.code, error.message)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def injected_error(status: int, fault_id: str, code: str | None = None) -> NotionError:
    """The error the real API would answer with that status; ``code`` overrides its code."""
    default = ("internal_server_error", "Unexpected error occurred.")
    if status < 500:
        default = ("invalid_request", "This request is not supported.")
    real_code, message = _CODES.get(status, default)
    return NotionError(status, code or real_code, f"{message} (injected by sandbox {fault_id})")
