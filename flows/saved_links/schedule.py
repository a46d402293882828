"""The seed's three daily slots, named from a run's scheduled time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def time_of_day(when: datetime, tz: str) -> str:
    """morning / noon / night for a scheduled time, in the schedule's time zone.

    Slots are wide so a late or manual run still gets the nearest label.
    """
    hour = when.astimezone(ZoneInfo(tz)).hour
    if 5 <= hour < 11:
        return "morning"
    if 11 <= hour < 17:
        return "noon"
    return "night"
