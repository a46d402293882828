"""One domain's scan configuration, as the scan reads it from the app database.

The sync writes it from the API (`cookie_schedules` + `cookie_scan_profiles`); the
schedules command writes it by hand. The scan reads it when it starts, so an edit
takes effect at the next run with no restart anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from flows.common.errors import ConfigError
from flows.cookie_scan.tables import cookie_scan_profiles, cookie_schedules


@dataclass(frozen=True)
class DomainConfig:
    domain_config_id: str
    domain: str  # IDNA (ASCII) form, e.g. xn--mnchen-3ya.de
    description: str | None = None
    allow_deep_scan: bool = False
    max_pages: int = 1
    scan_depth: int = 0
    max_retries: int = 1
    custom_pages: tuple[str, ...] = ()
    accept_selector: str | None = None
    schedule_id: str | None = None
    profile_id: str | None = None
    enabled: bool = True


class UnknownDomain(ConfigError):
    """A scan was asked for a domain config the database does not hold."""


def load_config(conn: Connection, domain_config_id: str) -> DomainConfig:
    """The domain's schedule row and its profile; `UnknownDomain` names a missing id."""
    s, p = cookie_schedules, cookie_scan_profiles
    row = conn.execute(
        select(s, p.c.description, p.c.allow_deep_scan, p.c.max_pages, p.c.scan_depth)
        .add_columns(p.c.max_retries, p.c.custom_pages, p.c.accept_selector)
        .select_from(s.outerjoin(p, s.c.profile_id == p.c.profile_id))
        .where(s.c.domain_config_id == domain_config_id)
    ).first()
    if row is None:
        raise UnknownDomain(
            f"domain config {domain_config_id!r} is not in the schedules table: "
            "run the schedule sync, or add it with `python -m flows.cookie_scan.cli schedules add`"
        )
    m = row._mapping
    return DomainConfig(
        domain_config_id=domain_config_id,
        domain=m["domain"],
        description=m["description"],
        allow_deep_scan=bool(m["allow_deep_scan"]) if m["allow_deep_scan"] is not None else False,
        max_pages=m["max_pages"] or 1,
        scan_depth=m["scan_depth"] or 0,
        max_retries=m["max_retries"] if m["max_retries"] is not None else 1,
        custom_pages=tuple(m["custom_pages"] or ()),
        accept_selector=m["accept_selector"],
        schedule_id=m["schedule_id"],
        profile_id=m["profile_id"],
        enabled=bool(m["enabled"]),
    )
