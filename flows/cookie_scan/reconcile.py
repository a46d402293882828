"""The schedules table made into the `cookie-scan/per-domain` deployment's schedules.

The database is the source of truth; Prefect is made to match it, never the other
way. One read of the deployment (its schedules come with it), a diff by slug
(`domain-<domain_config_id>`), then only the writes the diff needs:

- a row with no schedule: created, in batches of `CREATE_BATCH` per request;
- a schedule whose cron, timezone or parameters differ from its row: one PATCH;
- a `domain-` schedule with no row (deleted by SQL or the command): deleted;
- schedules with other slugs (or none) are someone else's and left alone.

Nothing changed means no write at all, so the sync can run every five minutes.

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
from typing import Any
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.objects import DeploymentSchedule
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
    schedule_id: UUID
    config_id: str
    changes: dict[str, Any]


@dataclass
class Plan:
    """What one reconcile will write, worked out from the rows and the schedules read."""

    create: list[DeploymentScheduleCreate] = field(default_factory=list)
    update: list[Update] = field(default_factory=list)
    delete: list[tuple[UUID, str]] = field(default_factory=list)  # (schedule id, slug)
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


def desired_schedule(cron: str, timezone: str) -> CronSchedule:
    return CronSchedule(cron=cron, timezone=timezone)


def _same_schedule(actual: object, wanted: CronSchedule) -> bool:
    return (
        isinstance(actual, CronSchedule)
        and actual.cron == wanted.cron
        and (actual.timezone or "UTC") == (wanted.timezone or "UTC")
        and actual.day_or == wanted.day_or
    )


def plan(rows: Iterable[Mapping[str, Any]], existing: Iterable[DeploymentSchedule]) -> Plan:
    """The writes that make `existing` (the deployment's schedules) match `rows`."""
    result = Plan()
    ours = {s.slug: s for s in existing if s.slug and s.slug.startswith(SLUG_PREFIX)}
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
                DeploymentScheduleCreate(
                    schedule=wanted, active=enabled, parameters=parameters, slug=slug
                )
            )
            continue
        changes: dict[str, Any] = {}
        if not _same_schedule(current.schedule, wanted):
            changes["schedule"] = wanted
        if current.parameters != parameters:
            changes["parameters"] = parameters
        applied = row["applied_enabled"]
        if applied is None or bool(applied) != enabled:
            if current.active != enabled:
                changes["active"] = enabled
            else:
                result.applied_without_write[config_id] = enabled
        if changes:
            # Prefect 3.9.1's server resets `parameters` to {} on a PATCH that leaves them
            # out (its update model defaults them to a new dict): always send them.
            changes["parameters"] = parameters
            result.update.append(Update(current.id, config_id, changes))
        else:
            result.unchanged += 1
    for slug, current in ours.items():
        if slug not in wanted_slugs:
            result.delete.append((current.id, slug))
    return result


def reconcile(
    engine: Engine, client: SyncPrefectClient, deployment_name: str = SCAN_DEPLOYMENT
) -> ReconcileResult:
    """Make the deployment's `domain-` schedules match the database; see the module doc."""
    try:
        deployment = client.read_deployment_by_name(deployment_name)
    except ObjectNotFound:
        raise DeploymentMissing(
            f"deployment {deployment_name!r} is not on the Prefect server: "
            "run `prefect deploy --all` first"
        ) from None
    with engine.connect() as conn:
        rows = reconcile_rows(conn)
    todo = plan(rows, deployment.schedules or [])
    result = ReconcileResult(unchanged=todo.unchanged, invalid=todo.invalid, requests=1)
    applied: dict[str, bool] = dict(todo.applied_without_write)
    try:
        for start in range(0, len(todo.create), CREATE_BATCH):
            batch = todo.create[start : start + CREATE_BATCH]
            client.create_deployment_schedules(deployment.id, batch)
            result.requests += 1
            result.created += len(batch)
            for made in batch:
                applied[made.parameters["domain_config_id"]] = made.active
        for change in todo.update:
            client.update_deployment_schedule(deployment.id, change.schedule_id, **change.changes)
            result.requests += 1
            result.updated += 1
            if "active" in change.changes:
                active = change.changes["active"]
                applied[change.config_id] = active
                result.activated += active
                result.deactivated += not active
        for schedule_id, _slug in todo.delete:
            with contextlib.suppress(ObjectNotFound):  # gone already: what we wanted
                client.delete_deployment_schedule(deployment.id, schedule_id)
            result.requests += 1
            result.deleted += 1
    finally:
        if applied:
            with engine.begin() as conn:
                mark_applied(conn, applied)
    return result
