"""`python -m flows.cookie_scan.cli history stats|recent|schedule`: the job executions
from a shell.

    history stats [--days 7] [--schedule ID] [--json]   the seed's statistics
    history recent [--hours 24] [--status failed] [--limit 20]
    history schedule ID [--limit 50]                    one schedule's runs (domain config
                                                        id or schedule id)

`add_commands(subparsers)` adds the `history` command to the package's command line
(`flows/cookie_scan/cli.py`); each leaf sets `run=(engine, args, out)`. `main` here
runs it on its own, with the same database choice as the other commands:
`--db-url`, else `APP_DB_URL`, else the `app-db` block.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO

from sqlalchemy import Engine

from flows.common.cli import on_app_db, table
from flows.common.db import DB_URL_ENV
from flows.common.errors import ConfigError
from flows.common.times import utcnow
from flows.cookie_scan.executions import STATUSES
from flows.cookie_scan.history import by_schedule, recent, seconds, statistics

CELL_WIDTH = 60


class HistoryError(ConfigError):
    """A request the command refuses; its message is the one line printed."""


def add_commands(subparsers: Any) -> None:
    """Add `history` with its three subcommands to an argparse subparsers object."""
    history = subparsers.add_parser("history", help="job executions: statistics, recent runs")
    sub = history.add_subparsers(dest="history_command", required=True, metavar="WHAT")

    p = sub.add_parser("stats", help="total, successful, failed, success rate, durations")
    p.add_argument("--days", type=float, default=7, help="the window (default 7 days)")
    p.add_argument("--schedule", metavar="ID", help="one domain config id or schedule id")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=stats)

    p = sub.add_parser("recent", help="recent executions, newest first")
    p.add_argument("--hours", type=float, default=24, help="the window (default 24 hours)")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=recent_runs)

    p = sub.add_parser("schedule", help="one schedule's executions, newest first")
    p.add_argument("schedule", metavar="ID", help="domain config id or schedule id")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(run=schedule_runs)


def _positive(value: float, option: str) -> None:
    if not value > 0:
        raise HistoryError(f"{option} must be positive, got {value:g}")


def stats(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _positive(args.days, "--days")
    found = statistics(engine, utcnow() - timedelta(days=args.days), args.schedule)
    if args.json:
        print(json.dumps(found.as_dict()), file=out)
        return
    rate = "n/a" if found.success_rate is None else f"{found.success_rate:.1f} %"
    of = f" of {args.schedule}" if args.schedule else ""
    print(f"executions{of} since {found.since:%Y-%m-%d %H:%M} UTC:", file=out)
    print(
        f"  total {found.total}, successful {found.successful}, failed {found.failed}, "
        f"skipped {found.skipped}, running {found.running}",
        file=out,
    )
    print(
        f"  success rate {rate}; duration avg {seconds(found.avg_duration) or 'n/a'} s, "
        f"min {seconds(found.min_duration) or 'n/a'} s, "
        f"max {seconds(found.max_duration) or 'n/a'} s",
        file=out,
    )


HEADER = ("started", "domain config", "domain", "status", "seconds", "scan", "error")


def _rows(rows: list[dict[str, Any]]) -> list[tuple]:
    return [
        (
            f"{r['started_at']:%Y-%m-%d %H:%M:%S}",
            r["domain_config_id"],
            r["domain"],
            r["status"],
            seconds(r["duration_seconds"]),
            (r["scan_id"] or "")[:8],
            r["error_message"] or "",
        )
        for r in rows
    ]


def recent_runs(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _positive(args.hours, "--hours")
    _positive(args.limit, "--limit")
    since = utcnow() - timedelta(hours=args.hours)
    table(out, HEADER, _rows(recent(engine, since, args.limit, status=args.status)), CELL_WIDTH)


def schedule_runs(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _positive(args.limit, "--limit")
    table(out, HEADER, _rows(by_schedule(engine, args.schedule, args.limit)), CELL_WIDTH)


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Stand-alone entry point (the package's cli.py adds `history` to its own)."""
    parser = argparse.ArgumentParser(prog="python -m flows.cookie_scan.cli_history")
    parser.add_argument("--db-url", help=f"app database URL (default: ${DB_URL_ENV}, else app-db)")
    add_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    out = out or sys.stdout
    return on_app_db(args.db_url, lambda engine: args.run(engine, args, out), (ConfigError,), err)


if __name__ == "__main__":
    sys.exit(main())
