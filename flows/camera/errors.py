"""What can go wrong talking to the camera portal, split by whether trying again helps.

Transient errors are raised out of a stream's task so Prefect's task retries
(exponential backoff, capped, with jitter) take them; permanent ones derive from
`flows.common.errors.PermanentError`, which the common retry condition refuses,
so a wrong password fails the run at once.
"""

from __future__ import annotations

from flows.common.errors import AutomationError, PermanentError, TransientError


class CameraError(AutomationError):
    """Base of every portal failure."""


class PermanentCameraError(CameraError, PermanentError):
    """Trying again cannot help: the block or the portal's layout is wrong."""


class LoginRefused(PermanentCameraError):
    """The portal kept us on its login page after submitting the credentials."""


class StreamNotFound(PermanentCameraError):
    """The stream's page answered 404."""


class PortalUnavailable(CameraError, TransientError):
    """5xx, timeouts or network errors from the portal; likely to pass."""


class SessionExpired(CameraError, TransientError):
    """The portal sent us to its login page again after we had just logged in."""


class StreamIncomplete(CameraError, TransientError):
    """Some images of a stream failed transiently; the kept ones stay kept."""
