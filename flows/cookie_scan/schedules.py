"""The schedules table as the sync and the schedules command write it.

The sync (`upsert_entries`) copies one API answer into `cookie_schedules` and
`cookie_scan_profiles` in one transaction and a handful of statements whatever the
number of entries (one read of what is there, bulk inserts, bulk updates), so ten
thousand domains cost seconds, not ten thousand round trips. It only touches rows
whose `source` is "api": a row added or changed by hand is the user's, and an API
entry with its id is skipped and named. An API row whose entry disappeared from the
answer is disabled (kept, with its history), not deleted; it is enabled again when
the entry comes back.

`content_hash` is the hash of the checked entry as last written: equal hash and
equal `enabled` mean unchanged, and nothing is written.

The command's functions (`add`, `change`, `set_enabled`, `delete`, `rows`) validate
through the same `validation.check_entry` as the sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from flows.common.errors import ConfigError
from flows.common.times import utcnow
from flows.cookie_scan.tables import cookie_scan_profiles, cookie_schedules
from flows.cookie_scan.validation import Checked, Entry, Invalid, InvalidEntry, check_entry

API, MANUAL = "api", "manual"
CHUNK = 500  # ids per IN (...) list


class ScheduleError(ConfigError):
    """A schedules-command request that cannot be met; the message names the input."""


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Invalid] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "disabled": len(self.disabled),
        }


def _schedule_values(entry: Entry) -> dict[str, Any]:
    return {
        "domain": entry.domain,
        "frequency": entry.frequency,
        "time_config": entry.time_config,
        "timezone": entry.timezone,
        "enabled": entry.enabled,
        "content_hash": entry.content_hash,
    }


def upsert_entries(conn: Connection, checked: Checked, now: datetime | None = None) -> UpsertResult:
    """Write one API answer (already checked) into the tables; call inside a transaction."""
    now = now or utcnow()
    s, p = cookie_schedules, cookie_scan_profiles
    result = UpsertResult(skipped=list(checked.invalid))
    existing = {
        r.domain_config_id: r
        for r in conn.execute(
            select(
                s.c.schedule_id,
                s.c.domain_config_id,
                s.c.profile_id,
                s.c.content_hash,
                s.c.enabled,
                s.c.source,
            )
        )
    }
    profiles = {
        r.domain_config_id: r.profile_id
        for r in conn.execute(select(p.c.domain_config_id, p.c.profile_id))
    }
    new_profiles: list[dict[str, Any]] = []
    new_schedules: list[dict[str, Any]] = []
    changed_profiles: list[dict[str, Any]] = []
    changed_schedules: list[dict[str, Any]] = []
    for entry in checked.entries:
        config_id = entry.domain_config_id
        row = existing.get(config_id)
        if row is not None and row.source != API:
            result.skipped.append(
                Invalid(
                    config_id,
                    "a schedule with this id was added or changed by hand: the API does not "
                    "overwrite it (delete it with the schedules command to hand it back)",
                    config_id,
                )
            )
            continue
        same = row is not None and row.content_hash == entry.content_hash
        if same and bool(row.enabled) == entry.enabled:
            result.unchanged += 1
            continue
        profile_id = profiles.get(config_id)
        if profile_id is None:
            profile_id = str(uuid.uuid4())
            new_profiles.append(
                {
                    "profile_id": profile_id,
                    "domain_config_id": config_id,
                    **entry.profile(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            changed_profiles.append({"b_id": config_id, **entry.profile(), "updated_at": now})
        if row is None:
            new_schedules.append(
                {
                    "schedule_id": str(uuid.uuid4()),
                    "domain_config_id": config_id,
                    "profile_id": profile_id,
                    **_schedule_values(entry),
                    "source": API,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            result.created.append(config_id)
        else:
            changed_schedules.append(
                {
                    "b_id": row.schedule_id,
                    "profile_id": profile_id,
                    **_schedule_values(entry),
                    "updated_at": now,
                }
            )
            result.updated.append(config_id)
    seen = checked.seen_ids
    result.disabled = sorted(
        config_id
        for config_id, row in existing.items()
        if row.source == API and row.enabled and config_id not in seen
    )
    if new_profiles:
        conn.execute(insert(p), new_profiles)
    if changed_profiles:
        conn.execute(
            update(p)
            .where(p.c.domain_config_id == bindparam("b_id"))
            .values({k: bindparam(k) for k in changed_profiles[0] if k != "b_id"}),
            changed_profiles,
        )
    if new_schedules:
        conn.execute(insert(s), new_schedules)
    if changed_schedules:
        conn.execute(
            update(s)
            .where(s.c.schedule_id == bindparam("b_id"))
            .values({k: bindparam(k) for k in changed_schedules[0] if k != "b_id"}),
            changed_schedules,
        )
    for chunk in _chunks(result.disabled):
        conn.execute(
            update(s)
            .where(s.c.domain_config_id.in_(chunk), s.c.source == API)
            .values(enabled=False, updated_at=now)
        )
    return result


def _chunks(items: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- what the reconcile reads and writes ---------------------------------------------------


def reconcile_rows(conn: Connection) -> list[Mapping[str, Any]]:
    """Every schedule row with what the reconcile needs to build its Prefect schedule."""
    s = cookie_schedules
    query = select(
        s.c.domain_config_id,
        s.c.frequency,
        s.c.time_config,
        s.c.timezone,
        s.c.enabled,
        s.c.applied_enabled,
    )
    return list(conn.execute(query).mappings())


def mark_applied(conn: Connection, applied: Mapping[str, bool]) -> None:
    """Remember the `enabled` value written to Prefect's `active`, per domain config."""
    if not applied:
        return
    s = cookie_schedules
    conn.execute(
        update(s)
        .where(s.c.domain_config_id == bindparam("b_id"))
        .values(applied_enabled=bindparam("applied")),
        [{"b_id": k, "applied": v} for k, v in applied.items()],
    )


# --- the schedules command ------------------------------------------------------------------


def _row(conn: Connection, config_id: str) -> Mapping[str, Any]:
    found = next(iter(rows(conn, [config_id])), None)
    if found is None:
        raise ScheduleError(f"no schedule with domain_config_id {config_id!r}")
    return found


def rows(conn: Connection, ids: list[str] | None = None) -> list[Mapping[str, Any]]:
    """Schedules with their profiles, ordered by id (all, or the `ids` given)."""
    s, p = cookie_schedules, cookie_scan_profiles
    query = (
        select(
            s,
            p.c.description,
            p.c.allow_deep_scan,
            p.c.max_pages,
            p.c.scan_depth,
            p.c.max_retries,
            p.c.custom_pages,
            p.c.accept_selector,
        )
        .select_from(s.outerjoin(p, s.c.profile_id == p.c.profile_id))
        .order_by(s.c.domain_config_id)
    )
    if ids is not None:
        query = query.where(s.c.domain_config_id.in_(ids))
    return list(conn.execute(query).mappings())


def as_api_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row in the API's format, so a change re-runs the very same checks."""
    time = dict(row["time_config"] or {})
    time["timezone"] = row["timezone"]
    return {
        "domain_config_id": row["domain_config_id"],
        "data": {
            "domain": row["domain"],
            "description": row["description"],
            "allow_deep_scan": bool(row["allow_deep_scan"]),
            "maxPages": row["max_pages"] if row["max_pages"] is not None else 1,
            "scanDepth": row["scan_depth"] if row["scan_depth"] is not None else 0,
            "maxRetries": row["max_retries"] if row["max_retries"] is not None else 1,
            "customPages": list(row["custom_pages"] or []),
            "accept_selector": row["accept_selector"],
            "enabled": bool(row["enabled"]),
            "schedule": {"frequency": row["frequency"], "time": time},
        },
    }


def add(conn: Connection, raw: Mapping[str, Any], now: datetime | None = None) -> Entry:
    """A new schedule by hand (source "manual"); ScheduleError if the id is taken."""
    entry = _check(raw)
    s = cookie_schedules
    taken = conn.execute(
        select(s.c.source).where(s.c.domain_config_id == entry.domain_config_id)
    ).first()
    if taken is not None:
        raise ScheduleError(
            f"domain_config_id {entry.domain_config_id!r} exists already ({taken.source}); "
            "change it with `schedules set`"
        )
    now = now or utcnow()
    p = cookie_scan_profiles
    conn.execute(delete(p).where(p.c.domain_config_id == entry.domain_config_id))  # orphan
    profile_id = str(uuid.uuid4())
    conn.execute(
        insert(p).values(
            profile_id=profile_id,
            domain_config_id=entry.domain_config_id,
            **entry.profile(),
            created_at=now,
            updated_at=now,
        )
    )
    conn.execute(
        insert(s).values(
            schedule_id=str(uuid.uuid4()),
            domain_config_id=entry.domain_config_id,
            profile_id=profile_id,
            **_schedule_values(entry),
            source=MANUAL,
            created_at=now,
            updated_at=now,
        )
    )
    return entry


def change(
    conn: Connection,
    config_id: str,
    data: Mapping[str, Any],
    schedule: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Entry:
    """Change fields of a schedule (`data` in the API's names; `schedule` replaces the
    frequency and time). The row becomes "manual": the sync no longer overwrites it."""
    row = _row(conn, config_id)
    raw = as_api_entry(row)
    raw["data"].update(data)
    if schedule is not None:
        raw["data"]["schedule"] = dict(schedule)
    entry = _check(raw)
    now = now or utcnow()
    _write(conn, row, entry, now)
    return entry


def set_enabled(
    conn: Connection, config_id: str, enabled: bool, now: datetime | None = None
) -> bool:
    """Enable or disable a schedule; True when the row changed.

    Also forgets what the reconcile last applied, so the next reconcile writes `active`
    even over a pause made in the Prefect UI: the command is the user's explicit word.
    A row the API owns becomes "manual" when its value changes, or the next sync would
    undo it.
    """
    row = _row(conn, config_id)
    values: dict[str, Any] = {"applied_enabled": None}
    changed = bool(row["enabled"]) != enabled
    if changed:
        values.update(enabled=enabled, source=MANUAL, updated_at=now or utcnow())
    s = cookie_schedules
    conn.execute(update(s).where(s.c.domain_config_id == config_id).values(**values))
    return changed


def delete_schedule(conn: Connection, config_id: str) -> None:
    """Delete a schedule and its profile (its scans and executions are kept)."""
    _row(conn, config_id)
    s, p = cookie_schedules, cookie_scan_profiles
    conn.execute(delete(s).where(s.c.domain_config_id == config_id))
    conn.execute(delete(p).where(p.c.domain_config_id == config_id))


def _check(raw: Mapping[str, Any]) -> Entry:
    try:
        return check_entry(raw)
    except InvalidEntry as exc:
        label = raw.get("domain_config_id") if isinstance(raw, Mapping) else None
        raise ScheduleError(f"schedule {label!r}: {exc}" if label else str(exc)) from None


def _write(conn: Connection, row: Mapping[str, Any], entry: Entry, now: datetime) -> None:
    s, p = cookie_schedules, cookie_scan_profiles
    profile_id = row["profile_id"]
    if profile_id is None:
        profile_id = str(uuid.uuid4())
        conn.execute(
            insert(p).values(
                profile_id=profile_id,
                domain_config_id=entry.domain_config_id,
                **entry.profile(),
                created_at=now,
                updated_at=now,
            )
        )
    else:
        conn.execute(
            update(p).where(p.c.profile_id == profile_id).values(**entry.profile(), updated_at=now)
        )
    values = {**_schedule_values(entry), "source": MANUAL, "updated_at": now}
    values["profile_id"] = profile_id
    if bool(row["enabled"]) != entry.enabled:
        values["applied_enabled"] = None
    conn.execute(update(s).where(s.c.domain_config_id == entry.domain_config_id).values(**values))
