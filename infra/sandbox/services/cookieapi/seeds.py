"""The demo's schedule API: the six consent sites of the sandbox, four entries the sync
must skip (each for one reason), and one change waiting for the second call, so a demo
that syncs twice sees "1 updated".

``generated`` makes any number of valid entries for tests and the benchmark.
"""

from __future__ import annotations

from typing import Any

from infra.sandbox.core.service import Seeded
from infra.sandbox.services.cookieapi.state import CookieApiState

DEMO_TOKEN = "sandbox-cookie-api-token"


def entry(
    config_id: str | None,
    domain: str,
    frequency: str,
    time: dict[str, Any] | None = None,
    **data: Any,
) -> dict[str, Any]:
    """One entry in the seed's format; `data` adds or overrides profile fields."""
    body: dict[str, Any] = {
        "domain": domain,
        "description": f"{domain} consent scan",
        "allow_deep_scan": False,
        "maxPages": 1,
        "scanDepth": 0,
        "maxRetries": 1,
        "customPages": [],
        "accept_selector": None,
        "schedule": {"frequency": frequency, "time": dict(time or {})},
    }
    body.update(data)
    made: dict[str, Any] = {"data": body}
    if config_id is not None:
        made = {"domain_config_id": config_id, **made}
    return made


#: The sandbox's consent sites (served by the consent service), by domain config id.
SITES = {
    "demo-onetrust": "news-onetrust.test",
    "demo-cookiebot": "shop-cookiebot.test",
    "demo-didomi": "travel-didomi.test",
    "demo-usercentrics": "bank-usercentrics.test",
    "demo-tcf": "magazine-tcf.test",
    "demo-generic": "blog-generic.test",
}

#: Entries the sync must skip, and the reason it must give (a fragment of it).
INVALID = {
    "demo-bad-domain": "not a URL",
    "demo-bad-frequency": "fortnightly",
    "demo-bad-hour": "hour must be 0..23",
    "entry #10": "domain_config_id is missing",
}


def demo_entries() -> list[dict[str, Any]]:
    return [
        entry(
            "demo-onetrust",
            SITES["demo-onetrust"],
            "daily",
            {"hour": 2, "minute": 0},
            maxPages=3,
            scanDepth=1,
            customPages=["/privacy"],
        ),
        entry(
            "demo-cookiebot",
            SITES["demo-cookiebot"],
            "weekly",
            {"day": "monday", "hour": 3, "minute": 30, "timezone": "Europe/Berlin"},
            allow_deep_scan=True,
            maxPages=5,
            scanDepth=2,
        ),
        entry("demo-didomi", SITES["demo-didomi"], "hourly", {"minute": 15}, maxRetries=2),
        entry(
            "demo-usercentrics",
            SITES["demo-usercentrics"],
            "monthly",
            {"day": 1, "hour": 4, "minute": 0},
        ),
        entry("demo-tcf", SITES["demo-tcf"], "0 */6 * * *"),
        entry(
            "demo-generic",
            SITES["demo-generic"],
            "daily",
            {"hour": 6, "minute": 0, "timezone": "Europe/London"},
            accept_selector="#cookie-ok",
        ),
        entry("demo-bad-domain", "http://169.254.169.254/latest", "daily", {"hour": 1}),
        entry("demo-bad-frequency", "example.org", "fortnightly", {"hour": 1}),
        entry("demo-bad-hour", "example.net", "daily", {"hour": 25, "minute": 0}),
        entry(None, "example.com", "daily", {"hour": 1}),
    ]


#: What the second call serves differently: the generic blog moves to 07:30.
SECOND_CALL_CHANGE = entry(
    "demo-generic",
    SITES["demo-generic"],
    "daily",
    {"hour": 7, "minute": 30, "timezone": "Europe/London"},
    accept_selector="#cookie-ok",
)

_FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "cron")


def generated(count: int, prefix: str = "gen-", variant: int = 0) -> list[dict[str, Any]]:
    """`count` valid entries with every frequency, spread over the day; `variant` shifts
    every minute (a different answer of the same size)."""
    made = []
    for i in range(count):
        minute = (i + variant) % 60
        kind = _FREQUENCIES[i % len(_FREQUENCIES)]
        time: dict[str, Any] = {"minute": minute, "hour": i % 24}
        frequency = kind
        if kind == "weekly":
            time["day"] = i % 7
        elif kind == "monthly":
            time["day"] = 1 + i % 28
        elif kind == "cron":
            frequency = f"{minute} {i % 24} * * 1-5"
            time = {}
        made.append(entry(f"{prefix}{i:06d}", f"site{i}.{prefix}example.com", frequency, time))
    return made


def seed_demo(state: CookieApiState, base_url: str) -> Seeded:
    state.reset()
    state.set_token(DEMO_TOKEN)
    state.put(demo_entries(), replace=True)
    state.change_on_call(2, [SECOND_CALL_CHANGE])
    return Seeded(
        env={
            "COOKIE_SCHEDULE_API_URL": f"{base_url}/schedules",
            "COOKIE_SCHEDULE_API_TOKEN": DEMO_TOKEN,
        },
        data={"valid": sorted(SITES), "invalid": sorted(INVALID), "sites": SITES},
    )
