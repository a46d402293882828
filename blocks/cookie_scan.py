"""The outside services of the cookie-consent scanner: the schedule API it syncs
from, and how the scanner's browser reaches the sites it scans."""

from __future__ import annotations

from typing import ClassVar

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class CookieScheduleApi(Block):
    """The API whose per-domain scan schedules the sync copies into the database.

    Its answers are outside input: a domain it names is checked by the
    outbound-URL guard before the scanner goes there.
    """

    _block_type_name: ClassVar[str] = "Cookie schedule API"
    _block_type_slug: ClassVar[str] = "cookie-schedule-api"
    _description: ClassVar[str] = "Where the cookie scanner's per-domain schedules come from."

    url: str = Field(description="The schedules endpoint (the seed's JSON format).")
    token: SecretStr | None = Field(default=None, description="Bearer token, if the API wants one.")
    timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="Per request.")
    max_bytes: int = Field(
        default=50_000_000, gt=0, description="A larger answer is refused, not parsed."
    )


class CookieScanner(Block):
    """How scans reach their sites. The defaults are for the real web; the sandbox
    sets `url_template` (its port, plain http) and `host_map` (its site names)."""

    _block_type_name: ClassVar[str] = "Cookie scanner"
    _block_type_slug: ClassVar[str] = "cookie-scanner"
    _description: ClassVar[str] = "Browser settings of the cookie-consent scanner."

    url_template: str = Field(
        default="https://{domain}/", description="A domain's start page; '{domain}' is replaced."
    )
    host_map: list[str] = Field(
        default_factory=list,
        description=(
            "Names resolved to a fixed address instead of through DNS, as "
            "'name=address' or '*.suffix=address' (the sandbox's site names)."
        ),
    )
    secure_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Plain-http origins Chromium treats as secure (http://name:port), so a site "
            "served without TLS (the sandbox) can set SameSite=None; Secure third-party "
            "cookies as on https. Empty for the real web."
        ),
    )
    settle_seconds: float = Field(
        default=1.5, ge=0, le=30, description="Fixed wait after each load and each consent action."
    )
    navigation_timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Per page load."
    )
    max_parallel: int = Field(
        default=3, ge=1, le=16, description="Scans one worker process runs at once."
    )
