"""Downloading one link's media with yt-dlp, into `data/links/<platform>/`.

yt-dlp's own retries are switched off: Prefect's task retries own that, so a
transient failure is visible as a retry in the UI instead of a silent loop.
A link is outside input: every connection yt-dlp opens for it (redirects,
manifests, fragments) goes through the outbound-URL guard, and yt-dlp never
hands a URL to a program of its own (ffmpeg) that would open one unguarded.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from yt_dlp import YoutubeDL
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.networking.exceptions import HTTPError, IncompleteRead, TransportError
from yt_dlp.utils import (
    ContentTooShortError,
    DownloadError,
    ExtractorError,
    GeoRestrictedError,
    UnsupportedError,
    sanitize_filename,
)

from flows.common.errors import MachineError, causes, machine_error
from flows.common.outbound import OutboundPolicy, guarded, refusal
from flows.saved_links import errors
from flows.saved_links.platforms import Platform
from flows.saved_links.records import Media

STEM_MAX_BYTES = 80
_LOGIN_HINT = re.compile(r"log ?in|sign ?in|registered users|--cookies|/accounts/", re.I)
# yt-dlp reports a connection closed early only in its message ("1421 bytes read,
# 1422 more expected"), with no exception attached.
_CUT_SHORT = re.compile(r"bytes read, \d+ more expected|Content-Length|too short", re.I)
_GONE_HINT = re.compile(r"removed|deleted|unavailable|private|no longer", re.I)

_PLATFORM_OPTIONS: dict[Platform, dict[str, Any]] = {
    # Cap YouTube at 1080p so one saved link cannot fill the disk with 4K.
    Platform.YOUTUBE: {"format": "bv*[height<=1080]+ba/b[height<=1080]/b"},
    Platform.TIKTOK: {"format": "b/bv*+ba"},
    Platform.INSTAGRAM: {"format": "b/bv*+ba"},
    Platform.X: {"format": "b/bv*+ba"},
    Platform.REDDIT: {"format": "bv*+ba/b"},
    Platform.DIRECT: {},
    Platform.GENERIC: {},
}


class MediaArchive(Protocol):
    """What the downloader needs of the download archive (`records.MediaStore`)."""

    def lookup(self, media_key: str) -> Media | None: ...

    def add(self, media: Media, source_url: str) -> None: ...


def safe_stem(title: str, media_key: str) -> str:
    """A file-name stem that cannot escape its folder and stays short.

    yt-dlp's restricted sanitiser strips separators and shell-hostile characters;
    the byte cap keeps names under every filesystem's limit; the key's hash keeps
    two different media with the same title apart.
    """
    stem = sanitize_filename(title or "", restricted=True).strip("._-")
    stem = stem.encode("utf-8")[:STEM_MAX_BYTES].decode("utf-8", "ignore").rstrip("._-")
    digest = hashlib.sha256(media_key.encode()).hexdigest()[:10]
    return f"{stem or 'media'}-{digest}"


def media_key(info: dict[str, Any], url: str) -> str:
    """The archive key, as yt-dlp's download archive writes it ("<extractor> <id>").

    The generic extractor's ids are file or page names, which collide across
    sites, so generic media are keyed by their URL instead.
    """
    extractor = str(info.get("extractor_key") or "generic").lower()
    if extractor == "generic" or not info.get("id"):
        return "generic " + hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"{extractor} {info['id']}"


def url_media_key(url: str) -> str:
    """The archive key computable from the URL alone, without a request.

    Site extractors give the media id from the URL (a YouTube watch URL holds
    it); anything the generic extractor would handle is keyed by the URL.
    """
    for extractor in _site_extractors():
        if extractor.suitable(url):
            temp_id = extractor.get_temp_id(url)
            if temp_id:
                return f"{extractor.ie_key().lower()} {temp_id}"
            break
    return media_key({"extractor_key": "generic"}, url)


@cache
def _site_extractors() -> tuple[type, ...]:
    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


class Downloader:
    """Fetches media for links, never the same media twice."""

    def __init__(
        self,
        data_dir: Path,
        archive: MediaArchive,
        policy: OutboundPolicy,
        socket_timeout: float = 30.0,
    ):
        self.data_dir = data_dir
        self.archive = archive
        self.policy = policy
        self.socket_timeout = socket_timeout
        self._log = logging.getLogger("saved_links.yt_dlp")
        self._instances: dict[Platform, YoutubeDL] = {}

    def _ydl(self, platform: Platform) -> YoutubeDL:
        """One yt-dlp instance per platform, reused: building one costs ~70 ms."""
        if platform not in self._instances:
            self._instances[platform] = YoutubeDL(self._options(platform))
        return self._instances[platform]

    def _options(self, platform: Platform) -> dict[str, Any]:
        root = self.data_dir / "links"
        return {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": self._log,
            "retries": 0,
            "fragment_retries": 0,
            "extractor_retries": 0,
            "file_access_retries": 0,
            "socket_timeout": self.socket_timeout,
            "noplaylist": True,
            # yt-dlp's own downloaders only: ffmpeg fetching a manifest itself would
            # open connections the guard never sees.
            "hls_prefer_native": True,
            "external_downloader": {},
            "concurrent_fragment_downloads": 1,  # the guard covers this thread only
            "restrictfilenames": True,
            "overwrites": False,
            # yt-dlp writes `<name>.part` in the temp folder and renames it into place
            # only when complete: a crash never leaves a half file under its real name.
            "paths": {"home": str(root / platform.value), "temp": str(root / ".partial")},
            **_PLATFORM_OPTIONS[platform],
        }

    def download(self, url: str, platform: Platform) -> tuple[Media, bool]:
        """The media behind `url` and whether it was fetched now (False: from the archive).

        The archive is asked before any request when the key follows from the URL
        (as yt-dlp's own archive check does), and again after extraction.
        Raises a `LinkError` subclass that says whether a retry can help, or a
        `MachineError` when the host itself is at fault.
        """
        known = self._archived(url_media_key(url))
        if known:
            return known, False
        ydl = self._ydl(platform)
        info = self._guarded(ydl.extract_info, url, download=False)
        if info and info.get("_type") == "playlist":
            info = next((e for e in info.get("entries") or [] if e), None)
        if not info:
            raise errors.Unsupported(f"no media found at {url}")
        key = media_key(info, url)
        known = self._archived(key)
        if known:
            return known, False
        stem = safe_stem(str(info.get("title") or info.get("id") or ""), key)
        ydl.params["outtmpl"] = {"default": stem.replace("%", "%%") + ".%(ext)s"}
        try:
            result = self._guarded(ydl.process_ie_result, info, download=True)
        except BaseException:
            self._discard_partial(stem)
            raise
        path = Path(_final_path(result))
        media = Media(
            media_key=key,
            file=path.relative_to(self.data_dir).as_posix(),
            bytes=path.stat().st_size,
            title=str(info.get("title") or path.stem),
            platform=platform.value,
        )
        self.archive.add(media, url)
        return media, True

    def _guarded(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One yt-dlp call under the outbound-URL guard, its failure classified.

        Only yt-dlp's own work is guarded: the archive's database (maybe on a
        private host) is reached outside it.
        """
        try:
            with guarded(self.policy):
                return call(*args, **kwargs)
        except (errors.LinkError, MachineError):
            raise
        except Exception as exc:  # yt-dlp wraps everything; classify by the root cause
            raise classify(exc) from exc

    def _archived(self, key: str) -> Media | None:
        known = self.archive.lookup(key)
        return known if known and (self.data_dir / known.file).is_file() else None

    def _discard_partial(self, stem: str) -> None:
        """A failed download leaves no `.part` behind; the retry starts clean."""
        for leftover in (self.data_dir / "links" / ".partial").glob(f"{glob.escape(stem)}.*"):
            leftover.unlink(missing_ok=True)


def _final_path(result: dict[str, Any]) -> str:
    downloads = result.get("requested_downloads") or []
    if downloads and downloads[-1].get("filepath"):
        return downloads[-1]["filepath"]
    return result["filepath"]


def _message(exc: BaseException) -> str:
    text = str(getattr(exc, "orig_msg", None) or exc)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"^(ERROR: )?(\[[^\]]+\] )?", "", text).strip()[:500]


def classify(exc: BaseException) -> errors.LinkError | MachineError:
    """Map a yt-dlp failure to permanent (fail now), transient (retry) or the machine's.

    By the root cause first, whatever yt-dlp wrapped it in: a read timeout or a
    refused connection inside an extractor error is a network error, not an
    unsupported link, and a full disk is the host's fault, not the link's.
    """
    chain = list(causes(exc))
    msg = _message(exc)
    refused = refusal(exc)
    if refused is not None:
        return errors.Refused(str(refused))
    machine = machine_error(exc)
    if machine is not None:
        return machine
    for cause in chain:
        if isinstance(cause, HTTPError):
            return _by_status(cause.status, msg)
    for cause in chain:
        if isinstance(cause, IncompleteRead | ContentTooShortError):
            return errors.IncompleteDownload(msg)
    for cause in chain:
        if isinstance(cause, TransportError | OSError):  # timeouts, resets, refusals
            return errors.NetworkError(msg)
    if isinstance(exc, DownloadError) and _CUT_SHORT.search(msg):
        return errors.IncompleteDownload(msg)
    for cause in chain:
        if isinstance(cause, GeoRestrictedError):
            return errors.AccessDenied(msg)
        if isinstance(cause, UnsupportedError):
            if _LOGIN_HINT.search(msg):
                return errors.LoginRequired(f"redirected to a login page: {msg}")
            return errors.Unsupported(f"no media found: {msg}")
        if isinstance(cause, ExtractorError):
            if _LOGIN_HINT.search(msg):
                return errors.LoginRequired(msg)
            if _GONE_HINT.search(msg):
                return errors.Removed(msg)
            return errors.Unsupported(msg)
    return errors.NetworkError(msg) if isinstance(exc, OSError) else errors.Unsupported(msg)


def _by_status(status: int, msg: str) -> errors.LinkError:
    if status in (404, 410):
        return errors.Removed(f"HTTP {status}: {msg}")
    if status == 401:
        return errors.LoginRequired(f"HTTP 401: {msg}")
    if status == 403:
        return errors.AccessDenied(f"HTTP 403: {msg}")
    if status == 429:
        return errors.RateLimited(f"HTTP 429: {msg}")
    if status >= 500 or status == 408:
        return errors.ServerError(f"HTTP {status}: {msg}")
    return errors.Unsupported(f"HTTP {status}: {msg}")
