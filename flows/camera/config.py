"""The seed's configuration limits, checked where a mistake would otherwise hide.

Parameter limits are types in the flow's signature, which Prefect checks when a
run is created; the schedule is checked by `prefect deploy` itself, through a
build step of the camera deployment in prefect.yaml, so a 1-minute interval (or a
batch size the flow would refuse) never reaches the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from prefect.exceptions import ParameterTypeError, SignatureMismatchError
from prefect.server.schemas.schedules import CronSchedule, RRuleSchedule
from pydantic import ValidationError

from flows.common.errors import ConfigError

MIN_INTERVAL_SECONDS = 300  # the portal publishes a frame every 10 minutes; 5 is the floor


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
    from flows.camera.flow import camera_download  # the flow's own signature holds the limits

    try:
        camera_download.validate_parameters(dict(parameters or {}))
    except (ParameterTypeError, SignatureMismatchError) as exc:
        raise ConfigError(f"camera-download parameters: {exc}") from None
    return {}
