"""``sb.youtube``: the fake YouTube's endpoints and control calls.

The product's client talks to it unchanged, configured from the seed env (YOUTUBE_*):
``httplib2.Http(ca_certs=YOUTUBE_CA_BUNDLE, timeout=...)`` with 308 removed from its
``redirect_codes`` (as ``googleapiclient.http.build_http`` does: 308 is "resume
incomplete" here), wrapped in ``google_auth_httplib2.AuthorizedHttp`` with
``google.oauth2.credentials.Credentials(token_uri=YOUTUBE_TOKEN_URI, ...)``, and
``build("youtube", "v3", static_discovery=True, client_options={"api_endpoint":
YOUTUBE_API_ENDPOINT})``.

What a dropped chunk looks like to that client: ``http.client.RemoteDisconnected`` when
the whole chunk was already handed to the kernel, ``ssl.SSLEOFError`` (or another
``OSError``) when it was still sending; either way ``next_chunk()`` marks itself in error
and its next call sends the status query (``bytes */N``) and resumes from the server's
``Range``.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from infra.sandbox.core.service import ServiceClient


class YouTubeClient(ServiceClient):
    """``base_url`` (https, on the sandbox's TLS listener) is the ``api_endpoint`` to give
    google-api-python-client; ``token_uri`` google-auth's; ``ca_bundle`` the CA to trust."""

    @property
    def api_endpoint(self) -> str:
        return self.base_url

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def ca_bundle(self) -> str | None:
        return self._call("GET", "/config")["ca_bundle"]

    def add_channel(
        self,
        client_id: str = "test-client.apps.googleusercontent.com",
        client_secret: str = "test-client-secret",
        refresh_token: str = "test-refresh-token",
    ) -> dict[str, str]:
        """Credentials the token endpoint accepts; returns them."""
        body = {
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        return self._call("POST", "/channels", json=body)

    def state(self) -> dict[str, Any]:
        """``calls``, ``quota``, ``videos`` and upload ``sessions`` (see the control routes)."""
        return self._call("GET", "/state")

    def calls(self) -> dict[str, int]:
        """Requests received per method: ``oauth.token``, ``videos.insert`` (initiations),
        ``upload.chunk``, ``upload.status`` (status queries), ``thumbnails.set``,
        ``videos.list``; failed ones included."""
        return self.state()["calls"]

    def videos(self) -> list[dict[str, Any]]:
        """Uploaded videos: id, snippet, status, statistics, size, sha256, upload_id,
        thumbnail_size."""
        return self.state()["videos"]

    def sessions(self) -> list[dict[str, Any]]:
        """Upload sessions: upload_id, kind, received, total, bytes_sent (every chunk body
        byte that arrived, resends included), chunks, done, video_id."""
        return self.state()["sessions"]

    def content(self, video_id: str) -> bytes:
        """The bytes uploaded for a video."""
        return base64.b64decode(self._call("GET", f"/videos/{video_id}/content")["content"])

    def quota(self) -> dict[str, Any]:
        """``units_remaining``, ``uploads_remaining``, ``daily_units``, ``daily_uploads``,
        the ``costs`` per method, the Pacific ``quota_day`` and ``next_reset`` (ISO, UTC)."""
        return self.state()["quota"]

    def set_quota(
        self,
        units_remaining: int | None = None,
        uploads_remaining: int | None = None,
        costs: dict[str, int] | None = None,
        *,
        daily_units: int | None = None,
        daily_uploads: int | None = None,
    ) -> dict[str, Any]:
        """What is left today (``*_remaining``) and what the next quota day restores
        (``daily_*``); ``costs`` in units per method (``videos.insert`` costs 0 units by
        default: it spends the upload bucket)."""
        body = {
            "units_remaining": units_remaining,
            "uploads_remaining": uploads_remaining,
            "daily_units": daily_units,
            "daily_uploads": daily_uploads,
            "costs": costs,
        }
        return self._call("POST", "/quota", json=body)

    def set_clock(self, now: datetime | str | None) -> dict[str, Any]:
        """Fix YouTube's clock (quota day, token expiry) at ``now``, or free it with None:
        past Pacific midnight the day's quota is whole again."""
        value = now.isoformat() if isinstance(now, datetime) else now
        return self._call("POST", "/clock", json={"now": value})

    def revoke(self, refresh_token: str | None = None) -> list[str]:
        """Revoke a refresh token (all when None): the token endpoint answers
        ``invalid_grant`` and its access tokens stop working."""
        return self._call("POST", "/revoke", json={"refresh_token": refresh_token})["revoked"]

    def expire_access_tokens(self) -> int:
        """Every access token is refused (401) from now on; refreshing gets a new one."""
        return self._call("POST", "/expire-tokens")["expired"]

    def drop_next_chunk(self, after_bytes: int, *, drop_resends: bool = True) -> None:
        """The next chunk PUT keeps its first ``after_bytes`` bytes, then its connection is
        reset without an answer (over TLS http.client raises ``RemoteDisconnected``).

        httplib2 resends a request whose connection closed without an answer once, on a
        new connection, and with ``MediaFileUpload`` that resend has an EMPTY body (the
        file slice was read already): the server would wait for a body that never comes
        until the client's timeout. With ``drop_resends`` every chunk PUT of that upload is
        dropped at once until the client queries the status (``bytes */N``), so the client
        sees the failure promptly, and only a proper resume goes through.
        """
        body = {"after_bytes": after_bytes, "drop_resends": drop_resends}
        self._call("POST", "/drop-next-chunk", json=body)

    def fail_next_chunk(self, status: int = 503, times: int = 1) -> None:
        """The next ``times`` chunk PUTs answer ``status`` in Google's format, keeping no
        byte (status queries are not chunks)."""
        self._call("POST", "/fail-next-chunk", json={"status": status, "times": times})

    def set_statistics(
        self,
        video_id: str,
        *,
        views: int | None = None,
        likes: int | None = None,
        comments: int | None = None,
        favorites: int | None = None,
    ) -> dict[str, str]:
        """What ``videos.list(part=statistics)`` answers for a video (strings, as YouTube)."""
        body = {"views": views, "likes": likes, "comments": comments, "favorites": favorites}
        return self._call("POST", f"/videos/{video_id}/statistics", json=body)
