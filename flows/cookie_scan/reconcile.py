"""The schedules table made into the `cookie-scan/per-domain` deployment's schedules.

The database is the source of truth; Prefect is made to match it, never the other
way. One read of the deployment (its schedules come with it), a diff by slug
(`domain-<domain_config_id>`), then only the writes the diff needs:

- a row with no schedule: created, in batches of `CREATE_BATCH` per request;
- a schedule whose cron, timezone or parameters differ from its row: one PATCH;
- a `domain-` schedule with no row (deleted by SQL or the command): deleted;
- schedules with other slugs (or none) are someone else's and left alone.

Nothing changed means no write at all, so the sync can run every five minutes.

At ten thousand domains the read and the creates are the cost, so both go through
the client's plain `request` and stay JSON: the deployment's schedules are compared as
the server sent them, not turned into ten thousand pydantic models (each re-validating
its cron string and zone), and a create batch's answer is not parsed back.

Disabled rows are kept as *inactive* schedules, not deleted: the schedule keeps its id
(its runs stay linked to it in the UI), enabling it again is one PATCH, and a user sees
in the UI that the domain exists but is switched off.

A pause made in the Prefect UI is respected. The row remembers which `enabled` value
was last written to `active` (`applied_enabled`); `active` is written only when
`enabled` moved away from it (the sync disabled or re-enabled the row, the command
changed it) or was never applied. So a user's pause lasts until the database changes
its mind about that domain; `schedules enable` is such a change, and resumes it.

A row whose stored schedule no longer parses (hand-edited SQL) is named and its
Prefect schedule left as it is.

Two reconciles at once (the command while a sync runs) may both try to create one
slug: the server's unique (deployment, slug) index refuses the second batch, that
reconcile fails naming the error, and the next one finds the schedule and moves on.
The sync itself never overlaps (its deployment is limited to 1, CANCEL_NEW).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.schedules import CronSchedule
from prefect.exceptions import ObjectNotFound
from sqlalchemy import Engine

from flows.common.errors import ConfigError
from flows.cookie_scan import SCAN_DEPLOYMENT, SLUG_PREFIX, schedule_slug
from flows.cookie_scan.schedules import mark_applied, reconcile_rows
from flows.cookie_scan.validation import InvalidEntry, cron_of

CREATE_BATCH = 500  # schedules per create request: one request, one server transaction


class DeploymentMissing(ConfigError):
    """The scan deployment is not on the server yet."""


@dataclass
class Update:
    schedule_id: str
    config_id: str
    changes: dict[str, Any]


@dataclass
class Plan:
    """What one reconcile will write, worked out from the rows and the schedules read."""

    create: list[dict[str, Any]] = field(default_factory=list)  # JSON bodies
    update: list[Update] = field(default_factory=list)
    delete: list[tuple[str, str]] = field(default_factory=list)  # (schedule id, slug)
    unchanged: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (domain_config_id, reason)
    # rows whose `enabled` Prefect already shows: remembered as applied with no write
    applied_without_write: dict[str, bool] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        batches = -(-len(self.create) // CREATE_BATCH)
        return batches + len(self.update) + len(self.delete)


@dataclass
class ReconcileResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    activated: int = 0
    deactivated: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0  # API requests made, the one read included

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "activated": self.activated,
            "deactivated": self.deactivated,
            "invalid": len(self.invalid),
            "requests": self.requests,
        }


@lru_cache(maxsize=4096)
def desired_schedule(cron: str, timezone: str) -> CronSchedule:
    """Prefect's schedule for a row (validated once per distinct cron and zone)."""
    return CronSchedule(cron=cron, timezone=timezone)


def _same_schedule(actual: Mapping[str, Any] | None, wanted: CronSchedule) -> bool:
    """The server's JSON of a schedule against the wanted cron schedule."""
    return (
        isinstance(actual, Mapping)
        and actual.get("cron") == wanted.cron
        and (actual.get("timezone") or "UTC") == (wanted.timezone or "UTC")
        and actual.get("day_or", True) == wanted.day_or
    )


def _json(schedule: Any) -> dict[str, Any]:
    """A schedule as the server sends it (tests may pass client models)."""
    return schedule if isinstance(schedule, Mapping) else schedule.model_dump(mode="json")


def plan(rows: Iterable[Mapping[str, Any]], existing: Iterable[Any]) -> Plan:
    """The writes that make `existing` (the deployment's schedules, as JSON) match `rows`."""
    result = Plan()
    ours: dict[str, dict[str, Any]] = {}
    for item in existing:
        current = _json(item)
        slug = current.get("slug")
        if slug and slug.startswith(SLUG_PREFIX):
            ours[slug] = current
    wanted_slugs: set[str] = set()
    for row in rows:
        config_id = row["domain_config_id"]
        slug = schedule_slug(config_id)
        wanted_slugs.add(slug)
        try:
            cron = cron_of(row["frequency"], row["time_config"] or {})
            wanted = desired_schedule(cron, row["timezone"] or "UTC")
        except (InvalidEntry, ValueError) as exc:
            result.invalid.append((config_id, f"stored schedule is broken: {exc}"))
            continue
        enabled = bool(row["enabled"])
        parameters = {"domain_config_id": config_id}
        current = ours.get(slug)
        if current is None:
            result.create.append(
                {
                    "schedule": wanted.model_dump(mode="json"),
                    "active": enabled,
                    "parameters": parameters,
                    "slug": slug,
                }
            )
            continue
        changes: dict[str, Any] = {}
        if not _same_schedule(current.get("schedule"), wanted):
            changes["schedule"] = wanted
        if current.get("parameters") != parameters:
            changes["parameters"] = parameters
        applied = row["applied_enabled"]
        if applied is None or bool(applied) != enabled:
            if bool(current.get("active")) != enabled:
                changes["active"] = enabled
            else:
                result.applied_without_write[config_id] = enabled
        if changes:
            # Prefect 3.9.1's server resets `parameters` to {} on a PATCH that leaves them
            # out (its update model defaults them to a new dict): always send them.
            changes["parameters"] = parameters
            result.update.append(Update(str(current["id"]), config_id, changes))
        else:
            result.unchanged += 1
    for slug, current in ours.items():
        if slug not in wanted_slugs:
            result.delete.append((str(current["id"]), slug))
    return result


def read_schedules(client: SyncPrefectClient, deployment_name: str) -> tuple[str, list]:
    """(deployment id, its schedules as JSON): one request."""
    flow_name, _, name = deployment_name.partition("/")
    try:
        response = client.request(
            "GET",
            "/deployments/name/{flow_name}/{deployment_name}",
            path_params={"flow_name": flow_name, "deployment_name": name},
        )
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 404:
            raise
        raise DeploymentMissing(
            f"deployment {deployment_name!r} is not on the Prefect server: "
            "run `prefect deploy --all` first"
        ) from None
    found = response.json()
    return str(found["id"]), list(found.get("schedules") or [])


def reconcile(
    engine: Engine, client: SyncPrefectClient, deployment_name: str = SCAN_DEPLOYMENT
) -> ReconcileResult:
    """Make the deployment's `domain-` schedules match the database; see the module doc."""
    deployment_id, existing = read_schedules(client, deployment_name)
    with engine.connect() as conn:
        rows = reconcile_rows(conn)
    todo = plan(rows, existing)
    result = ReconcileResult(unchanged=todo.unchanged, invalid=todo.invalid, requests=1)
    applied: dict[str, bool] = dict(todo.applied_without_write)
    try:
        for start in range(0, len(todo.create), CREATE_BATCH):
            batch = todo.create[start : start + CREATE_BATCH]
            client.request(
                "POST",
                "/deployments/{id}/schedules",
                path_params={"id": deployment_id},
                json=batch,
            )
            result.requests += 1
            result.created += len(batch)
            for made in batch:
                applied[made["parameters"]["domain_config_id"]] = made["active"]
        for change in todo.update:
            client.update_deployment_schedule(deployment_id, change.schedule_id, **change.changes)
            result.requests += 1
            result.updated += 1
            if "active" in change.changes:
                active = change.changes["active"]
                applied[change.config_id] = active
                result.activated += active
                result.deactivated += not active
        for schedule_id, _slug in todo.delete:
            with contextlib.suppress(ObjectNotFound):  # gone already: what we wanted
                client.delete_deployment_schedule(deployment_id, schedule_id)
            result.requests += 1
            result.deleted += 1
    finally:
        if applied:
            with engine.begin() as conn:
                mark_applied(conn, applied)
    return result
