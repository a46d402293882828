"""The one root of every error the workflows raise on purpose.

Whether trying again can help is a property of the error, so it is said once, by
the class an error derives from, and the retry condition every task uses
(`flows.common.retry.retryable`) reads nothing else. An exception that is none of
these (a bug, an unexpected library error) is retried: failing late is cheaper
than dropping work that a second attempt would have finished.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator


class AutomationError(Exception):
    """Root of every error a workflow raises on purpose."""


class PermanentError(AutomationError):
    """Trying again cannot help (a dead link, a wrong password): never retried."""


class TransientError(AutomationError):
    """Trying again later may help (a rate limit, a 5xx, a dropped connection)."""


class ConfigError(PermanentError, ValueError):
    """A parameter, block field or prefect.yaml value is wrong; the message names it."""


class MachineError(PermanentError):
    """The worker host itself is at fault (its disk is full, the data folder is not
    writable): every other item would fail the same way, so the run fails and the
    failure notification fires, instead of each item being failed in silence."""


# OS errors that say the host is at fault, whatever was being fetched.
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
# ... and these, when they concern a file of ours rather than a socket.
FILE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR})


def machine_error(exc: BaseException) -> MachineError | None:
    """A `MachineError` when an OS error in `exc`'s chain is the host's fault."""
    for cause in causes(exc):
        if isinstance(cause, MachineError):
            return cause
        if isinstance(cause, OSError) and (
            cause.errno in MACHINE_ERRNOS
            or (cause.errno in FILE_ERRNOS and cause.filename is not None)
        ):
            where = f": {cause.filename}" if cause.filename else ""
            return MachineError(f"{cause.strerror or cause}{where}")
    return None


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps, however the library wrapped it.

    Libraries bury the real cause: yt-dlp in `exc_info` and `cause`, urllib3 in
    `reason`, requests in its first argument, Python in `__cause__` and
    `__context__`. Classifying an error (retry or not, this run or the machine)
    must look at the root, not at the outermost wrapper.
    """
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        cur = stack.pop()
        if not isinstance(cur, BaseException) or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        exc_info = getattr(cur, "exc_info", None)
        if isinstance(exc_info, tuple) and len(exc_info) > 1:
            stack.append(exc_info[1])
        stack += [getattr(cur, "reason", None), getattr(cur, "cause", None)]
        stack += [*cur.args[:1], cur.__cause__, cur.__context__]
