"""What the fake YouTube holds, under the sandbox lock: OAuth clients and tokens, upload
sessions and their bytes, videos, thumbnails, statistics, quota, call counts and the
faults tests arm for the next upload chunk.

The rules follow the real service where a client can tell the difference: a chunk must
start at or before the bytes received so far (a resend of bytes already held is accepted
if it is the same data), its body must match its ``Content-Range``, a non-final chunk is a
multiple of 256 KiB, and the status query of a finished upload answers the video again.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.sandbox.core.clock import Clock
from infra.sandbox.services.youtube import errors

CHUNK_QUANTUM = 256 * 1024
ACCESS_TOKEN_SECONDS = 3599
MAX_LIST_IDS = 50
MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024
DEFAULT_UNITS = 10_000
DEFAULT_UPLOADS = 100
#: Units per call. videos.insert is counted in its own bucket (``uploads_remaining``).
DEFAULT_COSTS = {"videos.list": 1, "thumbnails.set": 50, "videos.insert": 0}
#: YouTube's quota day starts at midnight Pacific time.
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
CHANNEL_ID = "UCsandbox0000000000000001"
CHANNEL_TITLE = "Sandbox channel"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_STATUS_QUERY = re.compile(r"^bytes \*/(\d+|\*)$")
_STAT_FIELDS = {
    "views": "viewCount",
    "likes": "likeCount",
    "comments": "commentCount",
    "favorites": "favoriteCount",
}


def _rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quota_day(ms: int) -> str:
    """The quota day (Pacific date) an instant falls in."""
    return datetime.fromtimestamp(ms / 1000, QUOTA_ZONE).date().isoformat()


def next_reset(ms: int) -> datetime:
    """The next Pacific midnight after an instant, in UTC."""
    local = datetime.fromtimestamp(ms / 1000, QUOTA_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=QUOTA_ZONE).astimezone(UTC)


def _etag(*parts: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(repr(parts).encode()).digest()[:18]).decode()


@dataclass
class OAuthClient:
    secret: str
    refresh_tokens: set[str] = field(default_factory=set)


@dataclass
class AccessToken:
    refresh_token: str
    expires_ms: int


@dataclass
class Session:
    """One resumable upload: a video (``videos.insert``) or a thumbnail (``thumbnails.set``)."""

    upload_id: str
    kind: str  # "video" | "thumbnail"
    params: dict[str, str]
    metadata: dict[str, Any]
    total: int | None  # X-Upload-Content-Length, or learnt from the first Content-Range
    data: bytearray = field(default_factory=bytearray)
    #: Body bytes of every chunk that reached the server, resends included.
    bytes_sent: int = 0
    chunks: int = 0
    result: dict[str, Any] | None = None  # the final answer, repeated to a status query
    #: After a dropped chunk: drop every chunk until the client asks for the status.
    dropping: bool = False


@dataclass
class Video:
    id: str
    snippet: dict[str, Any]
    status: dict[str, Any]
    content: bytes
    statistics: dict[str, str]
    upload_id: str | None
    thumbnail: bytes | None = None


@dataclass
class ChunkFault:
    """Armed for the next chunk PUT: drop it after ``after_bytes``, or answer ``status``."""

    drop_after: int | None = None
    drop_resends: bool = True
    status: int | None = None


class YouTubeState:
    """``clock`` is the service's own (tokens expire and the quota day turns by it), so a
    test can move YouTube to the next quota day without moving other services."""

    def __init__(self, lock: threading.RLock, clock: Clock | None = None) -> None:
        self.lock = lock
        self.clock = clock or Clock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clock.set(None)
            self.clients: dict[str, OAuthClient] = {}
            self.revoked: set[str] = set()
            self.tokens: dict[str, AccessToken] = {}
            self.sessions: dict[str, Session] = {}
            self.videos: dict[str, Video] = {}
            self.calls: dict[str, int] = {}
            self.daily_units = DEFAULT_UNITS
            self.daily_uploads = DEFAULT_UPLOADS
            self.units_remaining = DEFAULT_UNITS
            self.uploads_remaining = DEFAULT_UPLOADS
            self.quota_day = quota_day(self.clock.now_ms())
            self.costs = dict(DEFAULT_COSTS)
            self.chunk_faults: list[ChunkFault] = []

    # --- control ------------------------------------------------------------------------------

    def add_client(self, client_id: str, secret: str, refresh_token: str) -> None:
        with self.lock:
            client = self.clients.setdefault(client_id, OAuthClient(secret))
            client.secret = secret
            client.refresh_tokens.add(refresh_token)
            self.revoked.discard(refresh_token)

    def revoke(self, refresh_token: str | None) -> list[str]:
        """Revoke one refresh token (or all) and the access tokens it gave out."""
        with self.lock:
            known = {t for c in self.clients.values() for t in c.refresh_tokens}
            chosen = known if refresh_token is None else {refresh_token} & known
            self.revoked |= chosen
            for token, access in list(self.tokens.items()):
                if access.refresh_token in chosen:
                    del self.tokens[token]
            return sorted(chosen)

    def expire_access_tokens(self) -> int:
        """Every access token stops working now (the client must refresh)."""
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            return count

    def arm_drop(self, after_bytes: int, drop_resends: bool = True) -> None:
        with self.lock:
            self.chunk_faults.append(ChunkFault(drop_after=after_bytes, drop_resends=drop_resends))

    def arm_failure(self, status: int, times: int) -> None:
        with self.lock:
            self.chunk_faults += [ChunkFault(status=status) for _ in range(times)]

    def take_chunk_fault(self) -> ChunkFault | None:
        with self.lock:
            return self.chunk_faults.pop(0) if self.chunk_faults else None

    def set_statistics(self, video_id: str, values: dict[str, int]) -> dict[str, str]:
        with self.lock:
            video = self.videos.get(video_id)
            if video is None:
                raise KeyError(video_id)
            for name, value in values.items():
                video.statistics[_STAT_FIELDS[name]] = str(value)
            return dict(video.statistics)

    def roll_quota_day(self) -> None:
        """On the first call of a new Pacific day, the day's budgets are whole again."""
        with self.lock:
            today = quota_day(self.clock.now_ms())
            if today != self.quota_day:
                self.quota_day = today
                self.units_remaining = self.daily_units
                self.uploads_remaining = self.daily_uploads

    def quota(self) -> dict[str, Any]:
        with self.lock:
            self.roll_quota_day()
            return {
                "units_remaining": self.units_remaining,
                "uploads_remaining": self.uploads_remaining,
                "daily_units": self.daily_units,
                "daily_uploads": self.daily_uploads,
                "costs": dict(self.costs),
                "quota_day": self.quota_day,
                "next_reset": next_reset(self.clock.now_ms()).isoformat(),
            }

    def count(self, method: str) -> None:
        with self.lock:
            self.calls[method] = self.calls.get(method, 0) + 1

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": dict(self.calls),
                "quota": self.quota(),
                "videos": [self._describe_video(v) for v in self.videos.values()],
                "sessions": [
                    {
                        "upload_id": s.upload_id,
                        "kind": s.kind,
                        "received": len(s.data),
                        "total": s.total,
                        "bytes_sent": s.bytes_sent,
                        "chunks": s.chunks,
                        "done": s.result is not None,
                        "video_id": s.params.get("videoId") or (s.result or {}).get("id"),
                    }
                    for s in self.sessions.values()
                ],
                "pending_chunk_faults": len(self.chunk_faults),
            }

    @staticmethod
    def _describe_video(video: Video) -> dict[str, Any]:
        return {
            "id": video.id,
            "snippet": video.snippet,
            "status": video.status,
            "statistics": video.statistics,
            "size": len(video.content),
            "sha256": hashlib.sha256(video.content).hexdigest(),
            "upload_id": video.upload_id,
            "thumbnail_size": None if video.thumbnail is None else len(video.thumbnail),
        }

    # --- OAuth --------------------------------------------------------------------------------

    def grant(self, form: dict[str, str]) -> dict[str, Any]:
        """``POST /token`` with ``grant_type=refresh_token``: a new access token."""
        grant_type = form.get("grant_type")
        if grant_type != "refresh_token":
            raise errors.oauth_error(
                400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}"
            )
        for name in ("client_id", "refresh_token"):
            if not form.get(name):
                raise errors.oauth_error(
                    400, "invalid_request", f"Missing required parameter: {name}"
                )
        with self.lock:
            client = self.clients.get(form["client_id"])
            if client is None or client.secret != form.get("client_secret"):
                raise errors.oauth_error(401, "invalid_client", "Unauthorized")
            refresh = form["refresh_token"]
            if refresh not in client.refresh_tokens or refresh in self.revoked:
                raise errors.oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            token = "ya29.sandbox-" + secrets.token_urlsafe(24)
            expires = self.clock.now_ms() + ACCESS_TOKEN_SECONDS * 1000
            self.tokens[token] = AccessToken(refresh, expires)
        return {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": "https://www.googleapis.com/auth/youtube.upload "
            "https://www.googleapis.com/auth/youtube.readonly",
            "token_type": "Bearer",
        }

    def authorize(self, header: str | None) -> None:
        """A live ``Authorization: Bearer`` access token, or YouTube's 401."""
        scheme, _, token = (header or "").partition(" ")
        with self.lock:
            found = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if found is None or found.expires_ms <= self.clock.now_ms():
                raise errors.unauthenticated()

    def charge(self, method: str) -> None:
        """Spend the method's units (403 quotaExceeded when the day's budget cannot)."""
        with self.lock:
            self.roll_quota_day()
            cost = self.costs.get(method, 0)
            if cost > self.units_remaining:
                raise errors.quota_exceeded()
            self.units_remaining -= cost

    # --- uploads ------------------------------------------------------------------------------

    def start_video(
        self, params: dict[str, str], metadata: dict[str, Any], total: int | None
    ) -> Session:
        """``videos.insert`` initiation: metadata checked, the upload bucket spent."""
        if not params.get("part"):
            raise errors.bad_request(
                "required", "No filter selected. Expected one of: part", location="part"
            )
        check_metadata(metadata, self.clock.now_ms())
        with self.lock:
            self.roll_quota_day()
            if self.uploads_remaining <= 0:
                raise errors.upload_limit_exceeded()
            self.charge("videos.insert")
            self.uploads_remaining -= 1
            return self._new_session("video", params, metadata, total)

    def start_thumbnail(self, params: dict[str, str], total: int | None) -> Session:
        with self.lock:
            self.charge("thumbnails.set")
            self._thumbnail_target(params)
            return self._new_session("thumbnail", params, {}, total)

    def _new_session(
        self, kind: str, params: dict[str, str], metadata: dict[str, Any], total: int | None
    ) -> Session:
        upload_id = "ADPycd" + secrets.token_urlsafe(30)
        session = Session(upload_id, kind, dict(params), metadata, total)
        self.sessions[upload_id] = session
        return session

    def session(self, upload_id: str | None) -> Session:
        with self.lock:
            found = self.sessions.get(upload_id or "")
        if found is None:
            raise errors.not_found("notFound", "Not Found: upload session", location="upload_id")
        return found

    def status_query(self, session: Session, content_range: str) -> tuple[int, dict | None]:
        """``Content-Range: bytes */N``: (200, the result) when done, else (308, None)."""
        self.count("upload.status")
        match = _STATUS_QUERY.match(content_range.strip())
        if match is None:
            raise errors.bad_request("badContent", f"Invalid Content-Range: {content_range}")
        with self.lock:
            session.dropping = False
            if session.result is not None:
                return 200, session.result
            return 308, None

    @staticmethod
    def parse_range(content_range: str | None) -> tuple[int, int, int | None]:
        match = _RANGE.match((content_range or "").strip())
        if match is None:
            raise errors.bad_request(
                "badContent", f"Invalid or missing Content-Range: {content_range or ''}"
            )
        first, last, total = match.groups()
        start, end = int(first), int(last)
        if end < start:
            raise errors.bad_request("badContent", f"Invalid Content-Range: {content_range}")
        return start, end, None if total == "*" else int(total)

    def check_chunk(
        self, session: Session, start: int, end: int, total: int | None, declared: int | None
    ) -> None:
        """Before the body is read: the range fits the session and what it holds."""
        with self.lock:
            if session.result is not None:
                raise errors.bad_request("badContent", "The upload is already complete.")
            if total is not None and session.total is not None and total != session.total:
                raise errors.bad_request(
                    "badContent",
                    f"Content-Range total {total} differs from the declared {session.total}",
                )
            if total is not None:
                session.total = total
            if start > len(session.data):
                raise errors.bad_request(
                    "badContent",
                    f"Content-Range starts at byte {start} but only {len(session.data)} "
                    "bytes were received: query the upload status to resume",
                )
            size = end - start + 1
            if declared is not None and declared != size:
                raise errors.bad_request(
                    "badContent",
                    f"Content-Length {declared} does not match Content-Range {start}-{end}",
                )
            last = session.total is not None and end + 1 == session.total
            if session.total is not None and end + 1 > session.total:
                raise errors.bad_request("badContent", "Content-Range goes past the total size")
            if not last and size % CHUNK_QUANTUM:
                raise errors.bad_request(
                    "badContent",
                    f"A chunk that is not the last must be a multiple of {CHUNK_QUANTUM} bytes",
                )

    def store(self, session: Session, start: int, body: bytes) -> None:
        """Keep the part of ``body`` (which begins at byte ``start``) not held yet; the part
        it shares with what is held must be the same bytes."""
        with self.lock:
            session.bytes_sent += len(body)
            held = len(session.data)
            overlap = bytes(session.data[start : start + len(body)])
            if body[: len(overlap)] != overlap:
                raise errors.bad_request(
                    "badContent", f"Bytes from {start} differ from the ones already received"
                )
            if start + len(body) > held:
                session.data += body[held - start :]

    def progress(self, session: Session) -> tuple[int, dict | None]:
        """After a chunk: (308, None) while bytes are missing, else finish the upload."""
        with self.lock:
            if session.total is None or len(session.data) < session.total:
                return 308, None
            if session.result is None:
                if session.kind == "video":
                    session.result = self._finish_video(session)
                else:
                    session.result = self._finish_thumbnail(session.params, bytes(session.data))
            return 200, session.result

    def _finish_video(self, session: Session) -> dict[str, Any]:
        video_id = base64.urlsafe_b64encode(secrets.token_bytes(8)).decode()[:11]
        now = _rfc3339(self.clock.now_ms())
        meta = session.metadata
        snippet = {
            "publishedAt": now,
            "channelId": CHANNEL_ID,
            "title": meta["snippet"]["title"],
            "description": meta["snippet"].get("description", ""),
            "thumbnails": _thumbnails(video_id),
            "channelTitle": CHANNEL_TITLE,
            "tags": list(meta["snippet"].get("tags", [])),
            "categoryId": meta["snippet"].get("categoryId", "22"),
            "liveBroadcastContent": "none",
            "localized": {
                "title": meta["snippet"]["title"],
                "description": meta["snippet"].get("description", ""),
            },
        }
        if not snippet["tags"]:
            del snippet["tags"]
        given = meta.get("status", {})
        status = {
            "uploadStatus": "uploaded",
            "privacyStatus": given.get("privacyStatus", "public"),
            "license": given.get("license", "youtube"),
            "embeddable": given.get("embeddable", True),
            "publicStatsViewable": given.get("publicStatsViewable", True),
            "selfDeclaredMadeForKids": given.get("selfDeclaredMadeForKids", False),
            "madeForKids": given.get("selfDeclaredMadeForKids", False),
            "containsSyntheticMedia": given.get("containsSyntheticMedia", False),
        }
        if given.get("publishAt"):
            status["publishAt"] = given["publishAt"]
        statistics = {"viewCount": "0", "likeCount": "0", "favoriteCount": "0", "commentCount": "0"}
        video = Video(video_id, snippet, status, bytes(session.data), statistics, session.upload_id)
        self.videos[video_id] = video
        return self.video_resource(video, session.params.get("part", ""))

    def video_resource(self, video: Video, part: str) -> dict[str, Any]:
        parts = {p.strip() for p in part.split(",") if p.strip()}
        resource: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": _etag(video.id, video.statistics, sorted(parts)),
            "id": video.id,
        }
        for name in ("snippet", "status", "statistics"):
            if name in parts:
                resource[name] = dict(getattr(video, name))
        return resource

    def _thumbnail_target(self, params: dict[str, str]) -> Video:
        video_id = params.get("videoId", "")
        found = self.videos.get(video_id)
        if found is None:
            raise errors.not_found(
                "videoNotFound",
                'The video identified by the <code><a href="/youtube/v3/docs/thumbnails/set'
                '#videoId">videoId</a></code> parameter could not be found.',
                location="videoId",
            )
        return found

    def set_thumbnail(self, params: dict[str, str], image: bytes) -> dict[str, Any]:
        """``thumbnails.set`` in one request (``uploadType=media``)."""
        with self.lock:
            self.charge("thumbnails.set")  # refused requests cost their units too
            return self._finish_thumbnail(params, image)

    def _finish_thumbnail(self, params: dict[str, str], image: bytes) -> dict[str, Any]:
        video = self._thumbnail_target(params)
        if not image:
            raise errors.bad_request("mediaBodyRequired", "The request does not include an image.")
        if len(image) > MAX_THUMBNAIL_BYTES:
            raise errors.api_error(
                413, "mediaTooLarge", f"Media larger than: {MAX_THUMBNAIL_BYTES}", "global"
            )
        if not (image.startswith(b"\xff\xd8\xff") or image.startswith(b"\x89PNG\r\n\x1a\n")):
            raise errors.bad_request("invalidImage", "The provided image content is invalid.")
        video.thumbnail = image
        return {
            "kind": "youtube#thumbnailSetResponse",
            "etag": _etag(video.id, len(image)),
            "items": [_thumbnails(video.id)],
        }

    # --- reads --------------------------------------------------------------------------------

    def list_videos(self, params: dict[str, str]) -> dict[str, Any]:
        part = params.get("part", "")
        if not part:
            raise errors.bad_request(
                "required", "No filter selected. Expected one of: part", location="part"
            )
        ids = [i for i in params.get("id", "").split(",") if i]
        if not ids:
            raise errors.bad_request(
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, myRating, chart",
                location="id",
            )
        if len(ids) > MAX_LIST_IDS:
            raise errors.invalid_argument(
                f"The request specifies {len(ids)} video IDs; at most {MAX_LIST_IDS} are allowed.",
                location="id",
            )
        with self.lock:
            self.charge("videos.list")
            items = [self.video_resource(self.videos[i], part) for i in ids if i in self.videos]
        return {
            "kind": "youtube#videoListResponse",
            "etag": _etag(ids, part, [i["etag"] for i in items]),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }


def _thumbnails(video_id: str) -> dict[str, Any]:
    sizes = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
    names = {"default": "default", "medium": "mqdefault", "high": "hqdefault"}
    return {
        key: {"url": f"https://i.ytimg.com/vi/{video_id}/{names[key]}.jpg", "width": w, "height": h}
        for key, (w, h) in sizes.items()
    }


def _tag_length(tags: list[str]) -> int:
    """YouTube's count: a tag with a space counts its quotes; commas between tags."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def check_metadata(metadata: dict[str, Any], now_ms: int) -> None:
    """The ``videos.insert`` body as YouTube refuses it (400 with the real reasons)."""
    snippet = metadata.get("snippet")
    if not isinstance(snippet, dict) or not str(snippet.get("title") or "").strip():
        raise errors.bad_request(
            "invalidTitle",
            "The request metadata specifies an invalid or empty video title.",
            location="body.snippet.title",
        )
    title, description = str(snippet["title"]), str(snippet.get("description") or "")
    if len(title) > 100 or "<" in title or ">" in title:
        raise errors.bad_request(
            "invalidTitle",
            "The request metadata specifies an invalid video title.",
            location="body.snippet.title",
        )
    if len(description.encode("utf-8")) > 5000 or "<" in description or ">" in description:
        raise errors.bad_request(
            "invalidDescription",
            "The request metadata specifies an invalid video description.",
            location="body.snippet.description",
        )
    tags = snippet.get("tags") or []
    if not isinstance(tags, list) or _tag_length([str(t) for t in tags]) > 500:
        raise errors.bad_request(
            "invalidTags",
            "The request metadata specifies invalid video keywords.",
            location="body.snippet.tags",
        )
    category = snippet.get("categoryId")
    if category is not None and not str(category).isdigit():
        raise errors.bad_request(
            "invalidCategoryId",
            "The <code>snippet.categoryId</code> property specifies an invalid category ID.",
            location="body.snippet.categoryId",
        )
    status = metadata.get("status") or {}
    privacy = status.get("privacyStatus", "public")
    if privacy not in ("public", "private", "unlisted"):
        raise errors.bad_request(
            "invalidVideoMetadata",
            "The request metadata is invalid.",
            location="body.status.privacyStatus",
        )
    publish_at = status.get("publishAt")
    if publish_at:
        try:
            when = datetime.fromisoformat(str(publish_at).replace("Z", "+00:00"))
        except ValueError:
            when = None
        if privacy != "private" or when is None or when.tzinfo is None:
            raise errors.bad_request(
                "invalidPublishAt",
                "The request metadata specifies an invalid scheduled publishing time.",
                location="body.status.publishAt",
            )
        if when.timestamp() * 1000 <= now_ms:
            raise errors.bad_request(
                "invalidPublishAt",
                "The request metadata specifies a scheduled publishing time in the past.",
                location="body.status.publishAt",
            )
