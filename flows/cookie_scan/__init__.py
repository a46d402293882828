"""Cookie-consent scanner: per-domain schedules synced from an API into the app
database and reconciled into one Prefect deployment's schedules; three-pass scans
(no interaction, accept-all, reject-all) in Debian's Chromium with DuckDuckGo's
autoconsent answering the banners; a job-execution record of every run.

The names other modules of the package (and tests) refer to by value.
"""

SCHEDULE_API_BLOCK = "cookie-schedule-api"
SCANNER_BLOCK = "cookie-scanner"

SCAN_DEPLOYMENT = "cookie-scan/per-domain"
SYNC_DEPLOYMENT = "cookie-schedule-sync/every-5-minutes"
CLEANUP_DEPLOYMENT = "cookie-history-cleanup/daily"

# A domain's schedule on the scan deployment is found by this slug, never by position.
SLUG_PREFIX = "domain-"

# The three passes of a scan, in the order they run; each gets a fresh browser context.
PHASES = ("before", "accept", "reject")

# Where a schedule row came from: the API sync disables only what it created.
SOURCES = ("api", "manual")

# The seed's frequencies; anything else must be a five-field cron expression.
FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "cron")


def schedule_slug(domain_config_id: str) -> str:
    return f"{SLUG_PREFIX}{domain_config_id}"
