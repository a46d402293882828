"""One entry of the schedule API checked and normalised, before anything is stored.

The API's answers are outside input: whoever can write there chooses the domains
the scanner will visit and the times it runs. Each entry is checked on its own; a
bad one becomes an `Invalid` naming its id (when it has one) and the reason, and
never stops the others. A good one becomes an `Entry`: the domain in IDNA (ASCII)
form, the schedule as the five-field cron string plus IANA timezone Prefect runs,
and the scan profile with sane bounds.

The domain check here is syntax only (no IPs, ports, paths, schemes or
`localhost`): where a name resolves is decided when the scan connects, by the
outbound guard, so a name that turns private later is still refused.

Cron expressions and timezones are checked by Prefect's own `CronSchedule` (its
croniter and its tzdata list), so what passes here is exactly what the server takes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import idna
from prefect.client.schemas.schedules import CronSchedule
from pydantic import ValidationError

# The id becomes part of a Prefect schedule slug (`domain-<id>`) and of URLs, logs and
# file names: letters, digits, '-', '_' and '.', starting with a letter or digit.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_ID = 64

FREQUENCIES = ("hourly", "daily", "weekly", "monthly")
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_DAY_ABBREV = {d[:3]: i for i, d in enumerate(DAYS)}

MAX_PAGES = 1000
MAX_DEPTH = 10
MAX_RETRIES = 10
MAX_CUSTOM_PAGES = 100
MAX_PATH = 2048
MAX_SELECTOR = 1000
MAX_DESCRIPTION = 2000

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class InvalidEntry(ValueError):
    """One field of one entry is wrong; the message names the field and the value."""


@dataclass(frozen=True)
class Entry:
    """A checked entry, as the database stores it."""

    domain_config_id: str
    domain: str  # IDNA ASCII, lower case, no trailing dot
    frequency: str  # hourly daily weekly monthly cron
    time_config: dict[str, Any]  # normalised: ints and lower-case day names, or {"cron": ...}
    timezone: str
    cron: str  # the five-field cron string Prefect runs, in `timezone`
    enabled: bool = True
    description: str | None = None
    allow_deep_scan: bool = False
    max_pages: int = 1
    scan_depth: int = 0
    max_retries: int = 1
    custom_pages: tuple[str, ...] = ()
    accept_selector: str | None = None

    @cached_property
    def content_hash(self) -> str:
        """A hash of everything the entry says (not `enabled`: the sync owns that)."""
        fields = asdict(self)
        fields.pop("enabled")
        fields["custom_pages"] = list(self.custom_pages)
        blob = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def profile(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "allow_deep_scan": self.allow_deep_scan,
            "max_pages": self.max_pages,
            "scan_depth": self.scan_depth,
            "max_retries": self.max_retries,
            "custom_pages": list(self.custom_pages),
            "accept_selector": self.accept_selector,
        }


@dataclass(frozen=True)
class Invalid:
    """An entry skipped, and why; `label` is its id, or its position when it has none."""

    label: str
    reason: str
    domain_config_id: str | None = None


@dataclass
class Checked:
    """Every entry of one API answer: the good ones in order, the bad ones named."""

    entries: list[Entry] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)

    @property
    def seen_ids(self) -> set[str]:
        """Ids the API named, valid or not: an invalid update must not disable its row."""
        return {e.domain_config_id for e in self.entries} | {
            i.domain_config_id for i in self.invalid if i.domain_config_id
        }


# --- fields -------------------------------------------------------------------------------


def check_id(value: object) -> str:
    if value is None or value == "":
        raise InvalidEntry("domain_config_id is missing")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEntry(f"domain_config_id must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_ID or not ID_PATTERN.fullmatch(text):
        raise InvalidEntry(
            f"domain_config_id {_short(text)!r} must be 1-{MAX_ID} letters, digits, "
            "'-', '_' or '.', starting with a letter or digit"
        )
    return text


def check_domain(value: object) -> str:
    """The domain in IDNA ASCII form; InvalidEntry for anything that is not a bare name."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEntry("domain is missing")
    raw = value.strip()
    shown = _short(raw)
    if "://" in raw or raw.lower().startswith(("http:", "https:")):
        raise InvalidEntry(f"domain {shown!r} must be a bare name, not a URL (no scheme)")
    if any(c in raw for c in "/?#\\@"):
        raise InvalidEntry(f"domain {shown!r} must be a bare name (no path, query or user)")
    if any(c.isspace() or ord(c) < 32 for c in raw):
        raise InvalidEntry(f"domain {shown!r} contains white space or control characters")
    host = raw.removesuffix(".")
    if host.startswith("[") or _is_ip(host):
        raise InvalidEntry(f"domain {shown!r} is an IP address; a domain name is required")
    if ":" in host:
        raise InvalidEntry(f"domain {shown!r} must not carry a port")
    try:
        ascii_name = _ascii_name(host)
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidEntry(
            f"domain {shown!r} is not a valid (internationalised) name: {exc}"
        ) from None
    if len(ascii_name) > 253:
        raise InvalidEntry(f"domain {shown!r} is longer than 253 characters")
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise InvalidEntry(f"domain {shown!r} must have at least two labels (like example.com)")
    if labels[-1] == "localhost" or ascii_name == "localhost":
        raise InvalidEntry(f"domain {shown!r} is a local name")
    for label in labels:
        if not label:
            raise InvalidEntry(f"domain {shown!r} has an empty label")
        if not _LABEL.fullmatch(label):
            raise InvalidEntry(
                f"domain {shown!r}: label {_short(label, 20)!r} must be 1-63 letters, digits "
                "or inner hyphens"
            )
    if labels[-1].isdigit() or _is_ip(ascii_name):
        raise InvalidEntry(f"domain {shown!r} looks like an address, not a name")
    return ascii_name


def _ascii_name(host: str) -> str:
    """IDNA ASCII form; a plain ASCII name (the common case, and thousands per sync)
    skips the IDNA tables, which only matter for non-ASCII and `xn--` labels."""
    lowered = host.lower()
    if lowered.isascii() and "xn--" not in lowered:
        return lowered
    ascii_name = idna.encode(host, uts46=True, transitional=False).decode("ascii").lower()
    idna.decode(ascii_name)  # punycode labels given as such must decode too
    return ascii_name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _int(value: object, name: str, low: int, high: int) -> int:
    """An integer in [low, high]; digit strings are taken (APIs send "2" for 2)."""
    if isinstance(value, bool):
        raise InvalidEntry(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise InvalidEntry(f"{name} must be a whole number, got {_short(repr(value))}")
    if not low <= value <= high:
        raise InvalidEntry(f"{name} must be {low}..{high}, got {value}")
    return value


def _day_of_week(value: object) -> int:
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        key = value.strip().lower()
        if key in DAYS:
            return DAYS.index(key)
        if key[:3] in _DAY_ABBREV and len(key) == 3:
            return _DAY_ABBREV[key[:3]]
        raise InvalidEntry(f"day of week {_short(value)!r}: a day name or 0-6 (0 = Sunday)")
    return _int(value, "day of week", 0, 6)


def check_timezone(value: object) -> str:
    if value is None or value == "":
        return "UTC"
    if not isinstance(value, str):
        raise InvalidEntry(f"timezone must be an IANA name, got {_short(repr(value))}")
    if not _zone_ok(value.strip()):
        raise InvalidEntry(f"timezone {_short(value)!r} is not an IANA zone (like Europe/Berlin)")
    return value.strip()


# Ten thousand entries share a few dozen zones and cron strings: each distinct one is
# validated by Prefect's CronSchedule once per process.
@lru_cache(maxsize=1024)
def _zone_ok(name: str) -> bool:
    try:
        CronSchedule(cron="0 0 * * *", timezone=name)
    except ValidationError:
        return False
    return True


@lru_cache(maxsize=8192)
def _cron_problem(text: str) -> str | None:
    try:
        CronSchedule(cron=text)
    except ValidationError as exc:
        return exc.errors()[0]["msg"].removeprefix("Value error, ")
    return None


def check_cron(expression: object) -> str:
    """A five-field cron expression Prefect's CronSchedule takes."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidEntry("cron expression is missing")
    text = " ".join(expression.split())
    if len(text.split()) != 5:
        raise InvalidEntry(f"cron {_short(text)!r} must have five fields (minute to weekday)")
    problem = _cron_problem(text)
    if problem is not None:
        raise InvalidEntry(f"cron {_short(text)!r}: {problem}")
    return text


def check_schedule(schedule: object) -> tuple[str, dict[str, Any], str, str]:
    """(frequency, time_config, timezone, cron) from the entry's `schedule` object.

    hourly: minute; daily: hour, minute; weekly: day (name or 0-6, 0 = Sunday), hour,
    minute; monthly: day (1-31; a month without that day is skipped, as cron does),
    hour, minute. `frequency` may also be a five-field cron expression, or "cron" with
    `time.cron`. Missing hour/minute are 0. `timezone` (IANA) in `time` or `schedule`.
    """
    if not isinstance(schedule, Mapping):
        raise InvalidEntry("schedule is missing (an object with frequency and time)")
    time = schedule.get("time") or {}
    if not isinstance(time, Mapping):
        raise InvalidEntry(f"schedule.time must be an object, got {_short(repr(time))}")
    frequency = schedule.get("frequency")
    if not isinstance(frequency, str) or not frequency.strip():
        raise InvalidEntry("schedule.frequency is missing")
    timezone = check_timezone(time.get("timezone", schedule.get("timezone")))
    kind = frequency.strip().lower()
    if kind == "cron" or (kind not in FREQUENCIES and len(kind.split()) == 5):
        cron = check_cron(time.get("cron") if kind == "cron" else frequency)
        return "cron", {"cron": cron}, timezone, cron
    if kind not in FREQUENCIES:
        raise InvalidEntry(
            f"schedule.frequency {_short(frequency)!r} is not hourly, daily, weekly, monthly "
            "or a five-field cron expression"
        )
    minute = _int(time.get("minute", 0), "schedule.time.minute", 0, 59)
    config: dict[str, Any] = {"minute": minute}
    if kind == "hourly":
        return kind, config, timezone, f"{minute} * * * *"
    hour = _int(time.get("hour", 0), "schedule.time.hour", 0, 23)
    config["hour"] = hour
    if kind == "daily":
        return kind, config, timezone, f"{minute} {hour} * * *"
    if kind == "weekly":
        raw = _first(time, "day_of_week", "day", "weekday")
        if raw is None:
            raise InvalidEntry("weekly schedule needs time.day (a day name or 0-6)")
        dow = _day_of_week(raw)
        config["day_of_week"] = DAYS[dow]
        return kind, config, timezone, f"{minute} {hour} * * {dow}"
    raw = _first(time, "day_of_month", "day")
    if raw is None:
        raise InvalidEntry("monthly schedule needs time.day (1-31)")
    dom = _int(raw, "schedule.time.day", 1, 31)
    config["day_of_month"] = dom
    return kind, config, timezone, f"{minute} {hour} {dom} * *"


def _first(mapping: Mapping[str, Any], *names: str) -> object:
    for name in names:
        if mapping.get(name) is not None:
            return mapping[name]
    return None


def check_custom_pages(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEntry("customPages must be a list of paths")
    if len(value) > MAX_CUSTOM_PAGES:
        raise InvalidEntry(f"customPages has {len(value)} paths; at most {MAX_CUSTOM_PAGES}")
    pages: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.startswith("/") or item.startswith("//"):
            raise InvalidEntry(
                f"customPages entry {_short(repr(item))} must be a path on the domain "
                "(starting with one '/')"
            )
        if len(item) > MAX_PATH or any(c.isspace() or ord(c) < 32 for c in item):
            raise InvalidEntry(f"customPages entry {_short(item)!r} is too long or has spaces")
        if item not in pages:
            pages.append(item)
    return tuple(pages)


def _text(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEntry(f"{name} must be text, got {type(value).__name__}")
    text = value.strip()
    if len(text) > limit:
        raise InvalidEntry(f"{name} is longer than {limit} characters")
    return text or None


def _bool(value: object, name: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidEntry(f"{name} must be true or false, got {_short(repr(value))}")
    return value


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- entries ------------------------------------------------------------------------------


def check_entry(raw: object) -> Entry:
    """One API entry (`{"domain_config_id", "data": {...}}`) as an Entry, or InvalidEntry."""
    if not isinstance(raw, Mapping):
        raise InvalidEntry(f"entry must be an object, got {type(raw).__name__}")
    config_id = check_id(raw.get("domain_config_id"))
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise InvalidEntry("data is missing (an object with domain and schedule)")
    domain = check_domain(data.get("domain"))
    frequency, time_config, timezone, cron = check_schedule(data.get("schedule"))
    return Entry(
        domain_config_id=config_id,
        domain=domain,
        frequency=frequency,
        time_config=time_config,
        timezone=timezone,
        cron=cron,
        enabled=_bool(data.get("enabled"), "enabled", True),
        description=_text(data.get("description"), "description", MAX_DESCRIPTION),
        allow_deep_scan=_bool(data.get("allow_deep_scan"), "allow_deep_scan", False),
        max_pages=_int(data.get("maxPages", 1), "maxPages", 1, MAX_PAGES),
        scan_depth=_int(data.get("scanDepth", 0), "scanDepth", 0, MAX_DEPTH),
        max_retries=_int(data.get("maxRetries", 1), "maxRetries", 0, MAX_RETRIES),
        custom_pages=check_custom_pages(data.get("customPages")),
        accept_selector=_text(data.get("accept_selector"), "accept_selector", MAX_SELECTOR),
    )


def check_entries(items: list[object]) -> Checked:
    """Every entry checked; a repeated id keeps the first and names the others."""
    checked = Checked()
    seen: set[str] = set()
    for position, raw in enumerate(items, start=1):
        raw_id = raw.get("domain_config_id") if isinstance(raw, Mapping) else None
        try:
            entry = check_entry(raw)
        except InvalidEntry as exc:
            try:
                known: str | None = check_id(raw_id)
            except InvalidEntry:
                known = None
            label = known or f"entry #{position}"
            checked.invalid.append(Invalid(label, str(exc), known))
            continue
        if entry.domain_config_id in seen:
            checked.invalid.append(
                Invalid(entry.domain_config_id, "duplicate domain_config_id: the first one is kept")
            )
            continue
        seen.add(entry.domain_config_id)
        checked.entries.append(entry)
    return checked


def cron_of(frequency: str, time_config: Mapping[str, Any]) -> str:
    """The cron string of a stored row (the reconcile's input); InvalidEntry if broken."""
    if frequency == "cron":
        return check_cron(time_config.get("cron"))
    return check_schedule({"frequency": frequency, "time": dict(time_config)})[3]
