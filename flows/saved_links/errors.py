"""What can go wrong with one link, split by whether trying again can help.

Transient errors are raised so Prefect's task retries (exponential backoff with
jitter) take them; permanent ones are raised as `PermanentLinkError`, which the
retry condition refuses, so a dead link fails at once.
"""

from __future__ import annotations


class LinkError(Exception):
    """Base for one link's failure; `error_class` is what Notion's Error column shows."""

    error_class = "Error"


class PermanentLinkError(LinkError):
    """Trying again cannot help."""


class TransientLinkError(LinkError):
    """Trying again later may help (rate limits, 5xx, network, cut-off downloads)."""


class InvalidURL(PermanentLinkError):
    error_class = "InvalidURL"


class Unsupported(PermanentLinkError):
    error_class = "Unsupported"


class Removed(PermanentLinkError):
    error_class = "Removed"


class AccessDenied(PermanentLinkError):
    error_class = "AccessDenied"


class LoginRequired(PermanentLinkError):
    error_class = "LoginRequired"


class RateLimited(TransientLinkError):
    error_class = "RateLimited"


class ServerError(TransientLinkError):
    error_class = "ServerError"


class NetworkError(TransientLinkError):
    error_class = "NetworkError"


class IncompleteDownload(TransientLinkError):
    error_class = "IncompleteDownload"


class SourceConfigError(Exception):
    """The links source block is wrong (token, database id, property names).

    Raised before anything is claimed; its message names the block and the field.
    """
