"""What changed since the domain's previous scan, per pass: new, removed, changed cookies.

A cookie is the same cookie when its name, domain and path are (the browser's own
identity). It changed when an attribute did (secure, httpOnly, sameSite, party,
session or persistent, its lifetime by more than an hour and 5 %) or its value hash
did. Expiry dates move with every scan (`Max-Age` counts from the visit), so the
lifetime compared is expiry minus the scan's start, not the date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ATTRIBUTES = ("secure", "http_only", "same_site", "third_party", "value_hash")


@dataclass
class CookieDiff:
    new: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # with `changes`: what differs

    @property
    def empty(self) -> bool:
        return not (self.new or self.removed or self.changed)


def _key(cookie: dict[str, Any]) -> tuple[str, str, str]:
    return (cookie["name"], cookie["domain"], cookie["path"])


def _lifetime(cookie: dict[str, Any], started: datetime | None) -> float | None:
    expires = cookie.get("expires")
    if expires is None:
        return None
    if started is None:
        return 0.0
    return (_aware(expires) - _aware(started)).total_seconds()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def diff_cookies(
    previous: list[dict[str, Any]],
    current: list[dict[str, Any]],
    previous_started: datetime | None = None,
    current_started: datetime | None = None,
) -> CookieDiff:
    """Cookies as dicts with the columns of `cookie_scan_cookies` (one pass each)."""
    before = {_key(c): c for c in previous}
    now = {_key(c): c for c in current}
    result = CookieDiff()
    for key in sorted(now.keys() - before.keys()):
        result.new.append(now[key])
    for key in sorted(before.keys() - now.keys()):
        result.removed.append(before[key])
    for key in sorted(now.keys() & before.keys()):
        old, new = before[key], now[key]
        changes = [a for a in ATTRIBUTES if old.get(a) != new.get(a)]
        old_life = _lifetime(old, previous_started)
        new_life = _lifetime(new, current_started)
        if (old_life is None) != (new_life is None):
            changes.append("session" if new_life is None else "persistent")
        elif (
            old_life is not None
            and new_life is not None
            and abs(old_life - new_life) > max(3600.0, 0.05 * max(abs(old_life), abs(new_life)))
        ):
            changes.append("lifetime")
        if changes:
            result.changed.append({**new, "changes": changes})
    return result
