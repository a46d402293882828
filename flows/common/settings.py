"""Settings of the control plane as a whole, kept as Prefect Variables.

They concern every workflow and every worker host at once (which private hosts
may be fetched, when a silent run counts as dead), so they live on the server,
not in one block or one host's environment: the bootstrap writes them from
`.env` when given there, and the UI (Variables) edits them without a restart.
A run reads them once, when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from prefect.variables import Variable

from flows.common.errors import ConfigError
from flows.common.outbound import OutboundPolicy

OUTBOUND_ALLOW = "outbound_allow"
ZOMBIE_AFTER = "zombie_after_seconds"
DEFAULT_ZOMBIE_AFTER = 600  # three missed 180 s heartbeats and a margin
MIN_ZOMBIE_AFTER = 60  # Prefect beats at most every 30 s: two misses and a margin

# variable name -> the `.env` / environment variable the bootstrap copies into it
FROM_ENV = {OUTBOUND_ALLOW: "OUTBOUND_ALLOW", ZOMBIE_AFTER: "ZOMBIE_AFTER_SECONDS"}


def outbound_policy() -> OutboundPolicy:
    """Which private hosts outside input may reach; nothing private by default."""
    entries = Variable.get(OUTBOUND_ALLOW, default=[])
    if isinstance(entries, str):
        entries = entries.split(",")
    return OutboundPolicy.parse(entries)


def zombie_after() -> timedelta:
    """A Running flow run that sent no heartbeat for this long is dead."""
    return timedelta(seconds=check_zombie_after(Variable.get(ZOMBIE_AFTER, default=None)))


def check_zombie_after(value: object) -> float:
    if value is None or value == "":
        return DEFAULT_ZOMBIE_AFTER
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds >= MIN_ZOMBIE_AFTER:
        raise ConfigError(
            f"setting {ZOMBIE_AFTER} must be a number of seconds, at least {MIN_ZOMBIE_AFTER}, "
            f"got {value!r}"
        )
    return seconds


def from_env(environ: Mapping[str, str]) -> dict[str, object]:
    """The variables `.env` sets, checked; the ones it leaves out are left as they are."""
    values: dict[str, object] = {}
    if environ.get(FROM_ENV[OUTBOUND_ALLOW]) is not None:
        entries = [e.strip() for e in environ[FROM_ENV[OUTBOUND_ALLOW]].split(",") if e.strip()]
        OutboundPolicy.parse(entries)
        values[OUTBOUND_ALLOW] = entries
    if environ.get(FROM_ENV[ZOMBIE_AFTER]):
        values[ZOMBIE_AFTER] = check_zombie_after(environ[FROM_ENV[ZOMBIE_AFTER]])
    return values


def save(values: Mapping[str, object]) -> None:
    for name, value in values.items():
        Variable.set(name, value, overwrite=True)
