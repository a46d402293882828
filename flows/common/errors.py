"""The one root of every error the workflows raise on purpose.

Whether trying again can help is a property of the error, so it is said once, by
the class an error derives from, and the retry condition every task uses
(`flows.common.retry.retryable`) reads nothing else. An exception that is none of
these (a bug, an unexpected library error) is retried: failing late is cheaper
than dropping work that a second attempt would have finished.
"""

from __future__ import annotations


class AutomationError(Exception):
    """Root of every error a workflow raises on purpose."""


class PermanentError(AutomationError):
    """Trying again cannot help (a dead link, a wrong password): never retried."""


class TransientError(AutomationError):
    """Trying again later may help (a rate limit, a 5xx, a dropped connection)."""


class ConfigError(PermanentError, ValueError):
    """A parameter, block field or prefect.yaml value is wrong; the message names it."""
