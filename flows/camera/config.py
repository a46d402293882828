"""The seed's configuration limits, checked where a mistake would otherwise hide.

Parameters are checked when a run starts; the schedule is checked by
`prefect deploy` itself, through a build step of the camera deployment in
prefect.yaml, so a 1-minute interval never reaches the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from prefect.server.schemas.schedules import CronSchedule, RRuleSchedule
from prefect.tasks import exponential_backoff
from pydantic import ValidationError

MIN_INTERVAL_SECONDS = 300  # the portal publishes a frame every 10 minutes; 5 is the floor
BATCH_SIZE_RANGE = (1, 1000)


class ConfigError(ValueError):
    """A configuration value outside its limits; the message names the field."""


def check_batch_size(batch_size: int) -> None:
    low, high = BATCH_SIZE_RANGE
    if not low <= batch_size <= high:
        raise ConfigError(f"batch_size must be between {low} and {high}, got {batch_size}")


def check_positive(name: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {value}")


def shortest_gap_seconds(schedule: Mapping[str, Any]) -> float:
    """The shortest time between two runs of a prefect.yaml schedule entry.

    Cron and RRule entries are expanded by Prefect's own schedule models over a
    week and a day, which covers any pattern that could fire too often.
    """
    if "interval" in schedule:
        return float(schedule["interval"])
    zone = schedule.get("timezone")
    try:
        if "cron" in schedule:
            model = CronSchedule(
                cron=schedule["cron"], timezone=zone, day_or=schedule.get("day_or", True)
            )
        elif "rrule" in schedule:
            model = RRuleSchedule(rrule=schedule["rrule"], timezone=zone)
        else:
            raise ConfigError(f"schedule {dict(schedule)} has no interval, cron or rrule")
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ConfigError(f"schedule {dict(schedule)} does not parse: {reason}") from None
    start = datetime(2026, 1, 5, tzinfo=UTC)
    dates = asyncio.run(model.get_dates(n=1000, start=start, end=start + timedelta(days=8)))
    gaps = [(b - a).total_seconds() for a, b in pairwise(dates)]
    return min(gaps, default=float("inf"))


def check_download_deployment(
    schedules: Sequence[Mapping[str, Any]], parameters: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The prefect.yaml build step of `camera-download`: refuse a bad deployment.

    prefect.yaml hands this step the deployment's own schedules and parameters
    through YAML anchors, so what is checked is exactly what is deployed.
    Returns an empty dict, as deployment steps return their outputs.
    """
    for i, schedule in enumerate(schedules or []):
        gap = shortest_gap_seconds(schedule)
        if gap < MIN_INTERVAL_SECONDS:
            where = schedule.get("slug") or f"schedules[{i}]"
            raise ConfigError(
                f"camera-download schedule {where!r}: the interval must be at least "
                f"{MIN_INTERVAL_SECONDS // 60} minutes, got {gap:g} s"
            )
    parameters = parameters or {}
    if "batch_size" in parameters:
        check_batch_size(parameters["batch_size"])
    if "concurrent_downloads" in parameters:
        check_positive("concurrent_downloads", parameters["concurrent_downloads"])
    return {}


def capped_backoff(first: float, cap: float, retries: int) -> list[float]:
    """The seed's retry delays: Prefect's doubling from `first`, never above `cap`."""
    return [min(delay, cap) for delay in exponential_backoff(first)(retries)]
