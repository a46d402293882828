"""The cookie-consent scanner as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from blocks.cookie_scan import CookieScanner, CookieScheduleApi
from flows.common.workflows import BlockSetting, Workflow
from flows.cookie_scan import SCANNER_BLOCK, SCHEDULE_API_BLOCK
from flows.cookie_scan.tables import TABLES

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
                "settle_seconds": "COOKIE_SCAN_SETTLE_SECONDS",
            },
        ),
    ),
    tables=TABLES,
)
