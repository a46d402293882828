"""What can go wrong with one link, split by whether trying again can help.

Transient errors are taken by Prefect's task retries; permanent ones derive from
`flows.common.errors.PermanentError`, which the common retry condition refuses,
so a dead link fails at once.
"""

from __future__ import annotations

from flows.common.errors import AutomationError, ConfigError, PermanentError, TransientError


class LinkError(AutomationError):
    """Base for one link's failure; `error_class` is what Notion's Error column shows."""

    error_class = "Error"


class PermanentLinkError(LinkError, PermanentError):
    """Trying again cannot help."""


class TransientLinkError(LinkError, TransientError):
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


class Refused(PermanentLinkError):
    """The link points inside the network (the outbound-URL guard); nothing was sent."""

    error_class = "Refused"


class RateLimited(TransientLinkError):
    error_class = "RateLimited"


class ServerError(TransientLinkError):
    error_class = "ServerError"


class NetworkError(TransientLinkError):
    error_class = "NetworkError"


class TimedOut(TransientLinkError):
    """One attempt took longer than its deadline (a host that trickles or never answers)."""

    error_class = "TimedOut"


class IncompleteDownload(TransientLinkError):
    error_class = "IncompleteDownload"


class SourceConfigError(ConfigError):
    """The links source block is wrong (token, database id, property names).

    Raised before anything is claimed; its message names the block and the field.
    """
