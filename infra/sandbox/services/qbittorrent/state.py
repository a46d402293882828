"""The fake qBittorrent's account, sessions and torrents, under the sandbox lock."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.sandbox.core.clock import Clock

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "adminadmin"
#: qBittorrent bans a client address after this many failed logins (its default).
DEFAULT_BAN_AFTER = 5


def info_hash(url: str) -> tuple[str, str] | None:
    """(hash, name) of a magnet link or a torrent URL; None for what qBittorrent refuses.

    A magnet's ``xt=urn:btih:`` is 40 hex digits or 32 base32 letters; a torrent URL
    stands for the file it names (this fake never fetches it), hashed from the URL.
    """
    if url.startswith("magnet:?"):
        query = parse_qs(url[len("magnet:?") :])
        for xt in query.get("xt", []):
            if not xt.lower().startswith("urn:btih:"):
                continue
            value = xt[len("urn:btih:") :]
            if len(value) == 40 and all(c in "0123456789abcdefABCDEF" for c in value):
                digest = value.lower()
            elif len(value) == 32:
                try:
                    digest = base64.b32decode(value.upper()).hex()
                except ValueError:
                    return None
            else:
                return None
            name = query.get("dn", [digest])[0]
            return digest, name
        return None
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        name = unquote(parts.path.rsplit("/", 1)[-1]).removesuffix(".torrent") or parts.netloc
        return hashlib.sha1(url.encode()).hexdigest(), name
    return None


class QbittorrentState:
    """One account (qBittorrent's Web UI has one), its sessions, its failed logins and
    whether it banned the caller, and the torrents added, in order."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        self.lock = lock
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.username = DEFAULT_USERNAME
            self.password = DEFAULT_PASSWORD
            self.ban_after = DEFAULT_BAN_AFTER
            self.failures = 0
            self.logins = 0
            self.sessions: set[str] = set()
            self.torrents: dict[str, dict[str, Any]] = {}
            self.add_calls = 0

    def set_credentials(self, username: str, password: str, ban_after: int | None) -> None:
        """New credentials; the ban and the failure count are lifted, sessions end."""
        with self.lock:
            self.username, self.password = username, password
            if ban_after is not None:
                self.ban_after = ban_after
            self.failures = 0
            self.sessions.clear()

    @property
    def banned(self) -> bool:
        return self.failures >= self.ban_after

    def login(self, username: str, password: str) -> str | None:
        """A new session id, or None (one more failure)."""
        with self.lock:
            ok = secrets.compare_digest(username, self.username) and secrets.compare_digest(
                password, self.password
            )
            if not ok:
                self.failures += 1
                return None
            self.failures = 0
            self.logins += 1
            sid = secrets.token_urlsafe(24)
            self.sessions.add(sid)
            return sid

    def valid(self, sid: str | None) -> bool:
        with self.lock:
            return sid is not None and sid in self.sessions

    def logout(self, sid: str | None) -> None:
        with self.lock:
            self.sessions.discard(sid or "")

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def add(self, urls: list[str], category: str, tags: list[str], save_path: str) -> int:
        """Add every URL qBittorrent would take; a hash already there is left alone, as
        qBittorrent does. Returns how many were taken (new or already there)."""
        taken = 0
        with self.lock:
            self.add_calls += 1
            for url in urls:
                found = info_hash(url)
                if found is None:
                    continue
                taken += 1
                digest, name = found
                if digest in self.torrents:
                    continue
                magnet = url if url.startswith("magnet:") else f"magnet:?xt=urn:btih:{digest}"
                self.torrents[digest] = {
                    "hash": digest,
                    "name": name,
                    "magnet_uri": magnet,
                    "category": category,
                    "tags": ", ".join(sorted(set(tags))),
                    "save_path": save_path,
                    "added_on": self.clock.now(),
                    "state": "metaDL",
                    "progress": 0.0,
                    "size": 0,
                    "url": url,
                }
        return taken

    def listed(
        self, category: str | None, tag: str | None, hashes: set[str] | None
    ) -> list[dict[str, Any]]:
        """Torrents in the order added, filtered as ``/api/v2/torrents/info`` filters them."""
        with self.lock:
            found = []
            for torrent in self.torrents.values():
                if category is not None and torrent["category"] != category:
                    continue
                if tag is not None and tag not in torrent["tags"].split(", "):
                    continue
                if hashes is not None and torrent["hash"] not in hashes:
                    continue
                found.append({k: v for k, v in torrent.items() if k != "url"})
            return found

    def all_torrents(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(t) for t in self.torrents.values()]

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "logins": self.logins,
                "failed_logins": self.failures,
                "banned": self.banned,
                "sessions": len(self.sessions),
                "add_calls": self.add_calls,
            }
