"""The one upload of a job: resumable, chunked, recorded so that it happens at most once.

`videos.insert` with a resumable `MediaFileUpload`, driven chunk by chunk here rather
than by the client library, because the library keeps the session URI only in memory and
its own retries can resend a chunk without its body:

- The session is initiated here (the library's first `next_chunk()` would initiate AND
  send the first chunk in one call) and its URI is written to `video_uploads` before the
  first byte goes, so a run killed at any line resumes the same upload instead of starting
  a second video.
- Each chunk is one `next_chunk(num_retries=0)` on a guarded transport: no refresh-and-
  resend after a 401 (google-auth's AuthorizedHttp would resend a half-read stream), and a
  connection that httplib2 would quietly reopen to resend the same chunk refuses to
  (`ChunkResendRefused`). Whatever went wrong, the next step is a status query
  (`Content-Range: bytes */N`) and the upload continues from the offset the SERVER
  reports: after a connection dropped in the middle of a chunk, only the rest is sent.
- A re-run finds the session in the database, asks the server where it stands, and goes
  on; a job whose video id is stored returns it without any call. The id is stored
  before `upload_video` returns.
- The day's `uploads` budget is charged before a session is initiated; a refusal
  (`quotaExceeded`, `uploadLimitExceeded`) fills the bucket and raises `QuotaExhausted`
  with the reset time; it is never retried blindly.

The session URI is a capability: it is stored, never logged nor put in an error.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from flows.common.errors import PermanentError, TransientError
from flows.common.times import as_utc, utcnow
from flows.video import quota
from flows.video.quota import UNITS, UPLOADS, Budget, QuotaExhausted
from flows.video.tables import video_jobs, video_uploads
from flows.video.youtube import (
    NETWORK_ERRORS,
    Context,
    classify_exception,
    classify_response,
    context_of,
    execute,
    plain_http,
    refresh_error,
)

log = logging.getLogger(__name__)

# `session_uri` while a run initiates the session: claimed, not yet known.
PENDING = "pending:"
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024  # YouTube's limit for custom thumbnails
_HASH_BLOCK = 1024 * 1024


class UploadError(PermanentError):
    """The upload cannot go on as it is (the file is missing, YouTube refused the video);
    the message names the file or the job."""


class UploadInterrupted(TransientError):
    """The connection or the server failed several times in a row; the session is kept,
    so the task's retry (or any later run) resumes where the server stands."""


class ChunkResendRefused(ConnectionError):
    """httplib2 tried to send a chunk's body a second time on a reopened connection.

    A ConnectionError so every layer above treats it like the dropped connection it
    follows; the upload then asks the server for its offset instead."""


# --- the guarded transport --------------------------------------------------------------


class _OnceBody:
    """A request body that can be sent once: a second send is refused before any byte
    of it goes (see `_OnceConnection`). Only `read`: without `seek`/`tell`, google-auth
    cannot rewind it either."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self._data = body if isinstance(body, bytes | bytearray) else None
        self._pos = 0
        self.sent = False

    def read(self, size: int = -1) -> bytes:
        if self._data is None:
            return self._body.read(size)
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk = bytes(self._data[self._pos : end])
        self._pos += len(chunk)
        return chunk


class _OnceConnection:
    """Mixed into httplib2's connection classes: refuses to send a `_OnceBody` twice."""

    def request(self, method, url, body=None, headers=None, **kwargs):
        if isinstance(body, _OnceBody):
            if body.sent:
                self.close()  # type: ignore[attr-defined]
                raise ChunkResendRefused("refused to resend an upload request's body")
            body.sent = True
        return super().request(method, url, body, headers or {}, **kwargs)  # type: ignore[misc]


class _OnceHTTPS(_OnceConnection, httplib2.HTTPSConnectionWithTimeout):
    pass


class _OnceHTTP(_OnceConnection, httplib2.HTTPConnectionWithTimeout):
    pass


_ONCE = {"https": _OnceHTTPS, "http": _OnceHTTP}


class _OnceHttp(httplib2.Http):
    """An httplib2.Http whose every connection is a `_OnceConnection`, the ones the token
    refresh opens included: httplib2 pools connections by host, so a plain one opened for
    the token endpoint on the same host would otherwise carry the chunks unguarded."""

    def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
        kwargs["connection_type"] = _ONCE[urlsplit(uri).scheme]
        return super().request(uri, method, body, headers, *args, **kwargs)


class GuardedHttp:
    """The transport upload chunks and status queries go on: the channel's credentials
    (a token refreshed before it expires, never after a 401: the caller refreshes and asks
    the server where it stands), its own connections, every body sent at most once, and
    the connections dropped after any failure so no half-written request is reused."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._http = plain_http(context.ca_bundle, context.timeout, http_class=_OnceHttp)
        self._authed = google_auth_httplib2.AuthorizedHttp(
            context.credentials, http=self._http, refresh_status_codes=()
        )

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[httplib2.Response, bytes]:
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            body = _OnceBody(body)
        try:
            return self._authed.request(uri, method, body=body, headers=headers, **kwargs)
        except BaseException:
            self.drop_connections()
            raise

    def refresh_token(self) -> None:
        """A fresh access token (after a 401); a refused refresh token is `ConfigError`."""
        try:
            self._context.credentials.refresh(google_auth_httplib2.Request(self._http))
        except google.auth.exceptions.RefreshError as exc:
            raise refresh_error(exc, block_name=self._context.block_name) from None

    def drop_connections(self) -> None:
        for conn in list(self._http.connections.values()):
            conn.close()
        self._http.connections.clear()

    def close(self) -> None:
        self.drop_connections()


# --- the upload record -------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def uploaded_video_id(engine: Engine, job_key: str) -> str | None:
    """The job's video id, once its upload completed."""
    with engine.connect() as conn:
        return conn.execute(
            select(video_uploads.c.video_id).where(video_uploads.c.job_key == job_key)
        ).scalar()


def _row(engine: Engine, job_key: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(video_uploads).where(video_uploads.c.job_key == job_key)).first()


def _update(engine: Engine, job_key: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(video_uploads)
            .where(video_uploads.c.job_key == job_key)
            .values(updated_at=utcnow(), **values)
        )


@dataclass(frozen=True)
class _Upload:
    engine: Engine
    service: Resource
    context: Context
    transport: GuardedHttp
    channel: str
    job_key: str
    video: Path
    size: int
    body: dict
    chunk_bytes: int
    mimetype: str

    @property
    def what(self) -> str:
        return f"videos.insert of {self.video.name} (job {self.job_key[:12]})"

    def request(self, session: str, offset: int) -> Any:
        """A fresh insert request positioned at the server's offset of `session` (a fresh
        one each time: the library's error state would make its own status query)."""
        media = MediaFileUpload(
            str(self.video), mimetype=self.mimetype, chunksize=self.chunk_bytes, resumable=True
        )
        request = self.service.videos().insert(
            part=",".join(self.body), body=self.body, media_body=media
        )
        request.resumable_uri = session
        request.resumable_progress = offset
        return request

    def fail(self, status: int, content: bytes) -> BaseException:
        """The error for YouTube's refusal of the upload; a quota refusal fills the bucket
        so nothing more is asked before the reset."""
        error = classify_response(
            status, content, block_name=self.context.block_name, what=self.what, bucket=UPLOADS
        )
        if isinstance(error, QuotaExhausted):
            limit = (
                self.context.budget.upload_limit
                if error.bucket == UPLOADS
                else self.context.budget.unit_limit
            )
            with self.engine.begin() as conn:
                quota.exhaust(conn, self.channel, error.bucket, limit)
            error.channel = self.channel
        return error

    def initiate(self, digest: str, replacing: str | None) -> str:
        """Start a session and record it before any byte of the video is sent.

        The row is claimed first (`session_uri` from `replacing` to a pending mark, in one
        conditional UPDATE), so of two runs of one job at once only one starts an upload;
        then today's uploads are charged; then the session is initiated and its URI
        replaces the mark."""
        mark = f"{PENDING}{uuid.uuid4().hex}"
        c = video_uploads.c
        free = c.session_uri.is_(None) if replacing is None else c.session_uri == replacing
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(video_uploads)
                .where((c.job_key == self.job_key) & c.video_id.is_(None) & free)
                .values(
                    session_uri=mark,
                    bytes_confirmed=0,
                    file_path=str(self.video),
                    file_size=self.size,
                    file_sha256=digest,
                    updated_at=utcnow(),
                )
            ).rowcount
        if not claimed:
            raise UploadInterrupted(
                f"{self.what}: another run is uploading this job; a retry resumes its upload"
            )
        try:
            with self.engine.begin() as conn:
                quota.reserve(conn, self.channel, UPLOADS, 1, self.context.budget.upload_limit)
            session = self._start()
        except BaseException:
            self._release(mark)
            raise
        with self.engine.begin() as conn:
            conn.execute(
                update(video_uploads)
                .where((c.job_key == self.job_key) & (c.session_uri == mark))
                .values(session_uri=session, updated_at=utcnow())
            )
        return session

    def _release(self, mark: str) -> None:
        """Give up a claim whose session was not started (or is unknown: an orphan session
        without bytes never becomes a video)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(video_uploads)
                .where(
                    (video_uploads.c.job_key == self.job_key)
                    & (video_uploads.c.session_uri == mark)
                )
                .values(session_uri=None, updated_at=utcnow())
            )

    def _start(self) -> str:
        """The initiation request: metadata in, session URI out (`Location`)."""
        first = self.request("", 0)
        headers = dict(first.headers)
        headers["X-Upload-Content-Type"] = self.mimetype
        headers["X-Upload-Content-Length"] = str(self.size)
        headers["content-length"] = str(first.body_size)
        try:
            resp, content = self.transport.request(
                first.uri, "POST", body=first.body, headers=headers
            )
            if resp.status == 401:
                self.transport.refresh_token()
                resp, content = self.transport.request(
                    first.uri, "POST", body=first.body, headers=headers
                )
        except Exception as exc:
            raise self._mapped(exc) from None
        if resp.status != 200 or "location" not in resp:
            if resp.status == 200:
                raise UploadInterrupted(f"{self.what}: the server started no session")
            raise self.fail(resp.status, content)
        return resp["location"]

    def status(self, session: str) -> tuple[int | None, dict | None]:
        """Ask the server where `session` stands: (offset, None) while incomplete, (None,
        the video resource) when complete, (None, None) when the session is gone."""
        headers = {"Content-Range": f"bytes */{self.size}", "content-length": "0"}
        try:
            resp, content = self.transport.request(session, "PUT", headers=headers)
            if resp.status == 401:
                self.transport.refresh_token()
                resp, content = self.transport.request(session, "PUT", headers=headers)
        except Exception as exc:
            raise self._mapped(exc) from None
        if resp.status in (200, 201):
            try:
                return None, json.loads(content)
            except ValueError:
                raise UploadInterrupted(
                    f"{self.what}: the completed upload's answer is not JSON"
                ) from None
        if resp.status == 308:
            offset = int(resp["range"].rsplit("-", 1)[1]) + 1 if "range" in resp else 0
            return offset, None
        if resp.status in (404, 410):
            return None, None
        raise self.fail(resp.status, content)

    def _mapped(self, exc: BaseException) -> BaseException:
        mapped = classify_exception(
            exc, block_name=self.context.block_name, what=self.what, bucket=UPLOADS
        )
        if mapped is exc and isinstance(exc, NETWORK_ERRORS):
            return UploadInterrupted(f"{self.what}: {type(exc).__name__}: {exc}")
        return mapped

    def drive(
        self, session: str, offset: int, attempts: int, backoff: float, sleep: Callable
    ) -> str:
        """Send the rest from `offset`, chunk by chunk, until the server returns the video."""
        failures = 0
        request = self.request(session, offset)
        while True:
            try:
                _progress, resource = request.next_chunk(http=self.transport, num_retries=0)
            except HttpError as exc:
                code = exc.resp.status
                if code == 401:
                    self.transport.refresh_token()
                elif code in (404, 410):
                    _update(self.engine, self.job_key, session_uri=None, bytes_confirmed=0)
                    raise UploadInterrupted(
                        f"{self.what}: the upload session expired (HTTP {code}); the next "
                        "attempt starts a new one"
                    ) from None
                elif not (code >= 500 or code == 429):
                    raise self.fail(code, exc.content) from None
                reason = f"HTTP {code}"
            except google.auth.exceptions.RefreshError as exc:
                raise refresh_error(exc, block_name=self.context.block_name) from None
            except (*NETWORK_ERRORS, http.client.HTTPException) as exc:
                reason = type(exc).__name__
            else:
                if resource is not None:
                    return self.finish(resource)
                progressed = request.resumable_progress > offset
                offset = request.resumable_progress
                if request.resumable_uri != session:  # a 308 may move the session
                    session = request.resumable_uri
                    _update(self.engine, self.job_key, session_uri=session)
                _update(self.engine, self.job_key, bytes_confirmed=offset)
                if progressed:
                    failures = 0
                continue
            # Something failed: never resend blindly; ask the server where it stands.
            failures += 1
            log.warning(
                "%s failed at byte %d (%s), attempt %d", self.what, offset, reason, failures
            )
            if failures >= attempts:
                raise UploadInterrupted(
                    f"{self.what}: {failures} failures in a row at byte {offset} of "
                    f"{self.size} (last: {reason}); the session is kept for the next attempt"
                )
            sleep(backoff * 2 ** (failures - 1))
            new_offset, resource = self.status(session)
            if resource is not None:
                return self.finish(resource)
            if new_offset is None:
                _update(self.engine, self.job_key, session_uri=None, bytes_confirmed=0)
                raise UploadInterrupted(f"{self.what}: the upload session expired")
            if new_offset > offset:
                failures = 0
            offset = new_offset
            _update(self.engine, self.job_key, bytes_confirmed=offset)
            request = self.request(session, offset)

    def finish(self, resource: dict) -> str:
        video_id = resource.get("id") if isinstance(resource, dict) else None
        if not video_id:
            raise UploadError(f"{self.what}: the completed upload returned no video id")
        now = utcnow()
        _update(
            self.engine,
            self.job_key,
            video_id=str(video_id),
            bytes_confirmed=self.size,
            completed_at=now,
        )
        return str(video_id)


def upload_video(
    engine: Engine,
    service: Resource,
    channel_name: str,
    job_key: str,
    video: Path,
    body: dict,
    *,
    chunk_bytes: int,
    mimetype: str = "video/mp4",
    attempts: int = 3,
    backoff_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Upload `video` once for `job_key` and return its YouTube video id.

    A job whose id is stored returns it without any call; a stored session is resumed
    from the offset the server reports (the file must be the one it started with, else
    a new session starts: an unfinished one is never a video). `attempts` failures in a
    row without progress (dropped connections, 5xx) raise `UploadInterrupted` (a
    `TransientError`: the task's retry resumes), with `backoff_seconds` doubling between
    them. Raises `QuotaExhausted` (the day's uploads are spent: not started, or YouTube
    refused), `ConfigError` (a refused refresh token, naming the block), `UploadError`
    (missing file, no such job, YouTube refused the video)."""
    video = Path(video)
    context = context_of(service)
    done = uploaded_video_id(engine, job_key)
    if done:
        return done
    try:
        size = video.stat().st_size
        digest = file_sha256(video)
    except OSError as exc:
        raise UploadError(f"job {job_key[:12]}: cannot read the video {video}: {exc}") from exc
    if size == 0:
        raise UploadError(f"job {job_key[:12]}: the video {video} is empty")
    upload = _Upload(
        engine=engine,
        service=service,
        context=context,
        transport=GuardedHttp(context),
        channel=channel_name,
        job_key=job_key,
        video=video,
        size=size,
        body=body,
        chunk_bytes=chunk_bytes,
        mimetype=mimetype,
    )
    try:
        row = _record(engine, upload, digest)
        session, replacing, offset = row.session_uri, None, 0
        if session and session.startswith(PENDING):
            # Another run is initiating, or died doing it (then its mark goes stale).
            age = utcnow() - (as_utc(row.updated_at) or utcnow())
            if age.total_seconds() < 2 * context.timeout + 60:
                raise UploadInterrupted(
                    f"{upload.what}: another run is starting this job's upload; a retry resumes it"
                )
            session, replacing = None, session
        if session:
            found, resource = upload.status(session)
            if resource is not None:
                return upload.finish(resource)
            if found is None or row.file_sha256 != digest or row.file_size != size:
                # Gone, or started with other bytes (a new render): start over. An
                # unfinished session never becomes a video.
                session, replacing = None, session
            else:
                offset = found
        if not session:
            session = upload.initiate(digest, replacing)
        _update(engine, job_key, bytes_confirmed=offset)
        return upload.drive(session, offset, max(attempts, 1), backoff_seconds, sleep)
    finally:
        upload.transport.close()


def _record(engine: Engine, upload: _Upload, digest: str) -> Any:
    """The job's upload row, made if this is its first attempt (by one of two runs at
    once: the other finds it)."""
    where = video_uploads.c.job_key == upload.job_key
    with engine.begin() as conn:
        job = conn.execute(
            select(video_jobs.c.job_key).where(video_jobs.c.job_key == upload.job_key)
        ).first()
        if job is None:
            raise UploadError(f"no video job {upload.job_key} to upload for")
        row = conn.execute(select(video_uploads).where(where)).first()
        if row is not None:
            return row
        now = utcnow()
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(video_uploads).values(
                        job_key=upload.job_key,
                        channel=upload.channel,
                        file_path=str(upload.video),
                        file_size=upload.size,
                        file_sha256=digest,
                        session_uri=None,
                        bytes_confirmed=0,
                        video_id=None,
                        thumbnail_set=False,
                        started_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:  # the other run made it a moment ago
            pass
        return conn.execute(select(video_uploads).where(where)).first()


def set_thumbnail(
    engine: Engine,
    service: Resource,
    job_key: str,
    video_id: str,
    thumbnail: Path,
    *,
    budget: Budget | None = None,
) -> None:
    """`thumbnails.set` for the job's video, once: a job whose thumbnail is recorded as
    set makes no call. Its units are charged before the call. Raises `UploadError` (no
    upload for this job, another video id, a file over YouTube's 2 MB), `QuotaExhausted`,
    `ConfigError`, `TransientError`."""
    context = context_of(service)
    budget = budget or context.budget
    row = _row(engine, job_key)
    if row is None or row.video_id is None:
        raise UploadError(f"job {job_key[:12]}: no completed upload to set a thumbnail on")
    if row.video_id != video_id:
        raise UploadError(
            f"job {job_key[:12]}: its video is {row.video_id}, not {video_id}; thumbnail not set"
        )
    if row.thumbnail_set:
        return
    thumbnail = Path(thumbnail)
    try:
        size = thumbnail.stat().st_size
    except OSError as exc:
        raise UploadError(
            f"job {job_key[:12]}: cannot read the thumbnail {thumbnail}: {exc}"
        ) from exc
    if size > THUMBNAIL_MAX_BYTES:
        raise UploadError(
            f"job {job_key[:12]}: the thumbnail {thumbnail} has {size} bytes, over YouTube's "
            f"{THUMBNAIL_MAX_BYTES}"
        )
    with engine.begin() as conn:
        quota.reserve(conn, row.channel, UNITS, budget.cost("thumbnails.set"), budget.unit_limit)
    media = MediaFileUpload(str(thumbnail), mimetype=_image_type(thumbnail), resumable=False)
    request = service.thumbnails().set(videoId=video_id, media_body=media)
    try:
        execute(request, block_name=context.block_name, what=f"thumbnails.set of {video_id}")
    except QuotaExhausted as exc:
        with engine.begin() as conn:
            quota.exhaust(conn, row.channel, exc.bucket, budget.unit_limit)
        exc.channel = row.channel
        raise
    finally:
        media.stream().close()
    _update(engine, job_key, thumbnail_set=True)


def _image_type(path: Path) -> str:
    return "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
