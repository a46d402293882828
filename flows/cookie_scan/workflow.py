"""The cookie-consent scanner as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from blocks.cookie_scan import CookieScanner, CookieScheduleApi
from flows.common.workflows import BlockSetting, DemoRun, Workflow
from flows.cookie_scan import (
    CLEANUP_DEPLOYMENT,
    SCAN_DEPLOYMENT,
    SCANNER_BLOCK,
    SCHEDULE_API_BLOCK,
    SYNC_DEPLOYMENT,
)
from flows.cookie_scan.health import cookie_health
from flows.cookie_scan.tables import TABLES

# The sandbox's consent sites, one per banner platform (infra/sandbox/services/consent);
# the sandbox's schedule API lists them under these domain config ids.
DEMO_SITES = (
    "demo-onetrust",
    "demo-cookiebot",
    "demo-didomi",
    "demo-usercentrics",
    "demo-tcf",
    "demo-generic",
)

WORKFLOW = Workflow(
    name="cookie_scan",
    title="Cookie-consent scanner",
    blocks=(
        BlockSetting(
            SCHEDULE_API_BLOCK,
            CookieScheduleApi,
            {
                "url": "COOKIE_SCHEDULE_API_URL",
                "token": "COOKIE_SCHEDULE_API_TOKEN",
                "timeout_seconds": "COOKIE_SCHEDULE_API_TIMEOUT",
            },
        ),
        BlockSetting(
            SCANNER_BLOCK,
            CookieScanner,
            {
                "url_template": "COOKIE_SCAN_URL_TEMPLATE",
                "host_map": "COOKIE_SCAN_HOST_MAP",
                "secure_origins": "COOKIE_SCAN_SECURE_ORIGINS",
                "settle_seconds": "COOKIE_SCAN_SETTLE_SECONDS",
            },
        ),
    ),
    # The sync first (it writes the schedules the scans read), one scan per sandbox
    # site, then the cleanup, whose artifact holds the statistics of those scans.
    demo=(
        DemoRun(SYNC_DEPLOYMENT),
        *(
            DemoRun(SCAN_DEPLOYMENT, {"domain_config_id": site, "retry_delay_seconds": 1}, phase=1)
            for site in DEMO_SITES
        ),
        DemoRun(CLEANUP_DEPLOYMENT, phase=2),
    ),
    health=(cookie_health,),
    tables=TABLES,
)
