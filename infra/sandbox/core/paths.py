"""Who owns a URL path: the control API under ``/_sandbox``, or the service named by its
first segment (``/notion/...`` is Notion's, ``/_sandbox/notion/...`` its control side)."""

from __future__ import annotations

#: Control API prefix; these requests are never faulted nor logged.
CONTROL_PREFIX = "/_sandbox"


def is_control_path(path: str) -> bool:
    """True for ``/_sandbox`` and everything below it."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def service_prefix(name: str) -> str:
    """Where a service's public routes live: ``/<name>``."""
    return f"/{name}"


def control_prefix(name: str) -> str:
    """Where a service's control routes live: ``/_sandbox/<name>``."""
    return f"{CONTROL_PREFIX}/{name}"
