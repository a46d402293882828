"""`python -m flows.cookie_scan.cli`: the scanner's schedules (and history) from a shell.

    schedules list [--source api|manual] [--disabled]
    schedules add ID DOMAIN --frequency daily --hour 2 [--minute 0] [--timezone Europe/Berlin]
                  [--day monday|0-6|1-31] [--max-pages N] [--depth N] [--retries N]
                  [--page /path ...] [--accept-selector CSS] [--description TEXT]
                  [--deep-scan|--no-deep-scan] [--disabled]
    schedules set ID [any option of add, DOMAIN as --domain]
    schedules disable|enable|delete ID

Every change is checked by the same rules as the API sync (`validation`), written to
the app database, then the same reconcile as the sync runs, so the deployment's
schedule changes at once (`--no-reconcile` leaves that to the next sync). A row changed
here becomes "manual": the API sync no longer overwrites it; delete it to hand it back.

The app database is `--db-url`, else `APP_DB_URL`, else the `app-db` block. A request
that cannot be met prints one line naming the input to stderr and exits 2; a database
that cannot be reached exits 1; a change saved but not applied to Prefect (server
down) says so and exits 3.

Adding a command group: a module with `add_commands(subparsers)` that adds parsers
setting `run=(engine, args, out) -> None`; `GROUPS` lists the optional ones
(`cli_history`, imported when present).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from sqlalchemy import Engine

from flows.common.cli import on_app_db, table
from flows.common.db import DB_URL_ENV
from flows.common.errors import ConfigError
from flows.cookie_scan import SCAN_DEPLOYMENT, SOURCES
from flows.cookie_scan.schedules import (
    add,
    change,
    delete_schedule,
    rows,
    set_enabled,
)
from flows.cookie_scan.validation import InvalidEntry, cron_of

#: Optional command groups: modules with `add_commands(subparsers)`, wired when present.
GROUPS = ("flows.cookie_scan.cli_history",)

Command = Callable[[Engine, argparse.Namespace, TextIO], None]


class CliError(Exception):
    """A request the command refuses; its message is the one line printed."""


class NotApplied(Exception):
    """The database changed but Prefect could not be told; the next sync will."""


def _schedule_options(p: argparse.ArgumentParser, *, adding: bool) -> None:
    p.add_argument(
        "--frequency",
        required=adding,
        metavar="F",
        help="hourly, daily, weekly, monthly or a five-field cron expression",
    )
    p.add_argument("--hour", metavar="H", help="0-23 (daily, weekly, monthly)")
    p.add_argument("--minute", metavar="M", help="0-59")
    p.add_argument("--day", metavar="D", help="weekly: a day name or 0-6; monthly: 1-31")
    p.add_argument("--timezone", metavar="TZ", help="IANA zone, e.g. Europe/Berlin (UTC)")
    p.add_argument("--max-pages", metavar="N")
    p.add_argument("--depth", metavar="N", help="link depth to crawl")
    p.add_argument("--retries", metavar="N", help="0-10")
    p.add_argument("--page", action="append", metavar="PATH", help="a custom page (repeat)")
    p.add_argument("--accept-selector", metavar="CSS")
    p.add_argument("--description", metavar="TEXT")
    p.add_argument("--deep-scan", action=argparse.BooleanOptionalAction, default=None)
    if adding:
        p.add_argument("--disabled", action="store_true", help="add it switched off")


def add_schedule_commands(sub: Any) -> None:
    group = sub.add_parser("schedules", help="per-domain scan schedules")
    cmds = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = cmds.add_parser("list", help="every schedule, its cron string and state")
    p.add_argument("--source", choices=SOURCES)
    p.add_argument("--disabled", action="store_true", help="only the disabled ones")
    p.set_defaults(run=list_schedules)

    p = cmds.add_parser("add", help="add a schedule (source: manual)")
    p.add_argument("domain_config_id", metavar="ID")
    p.add_argument("domain", metavar="DOMAIN")
    _schedule_options(p, adding=True)
    p.set_defaults(run=add_schedule, reconcile=True)

    p = cmds.add_parser("set", help="change fields of a schedule (it becomes manual)")
    p.add_argument("domain_config_id", metavar="ID")
    p.add_argument("--domain")
    _schedule_options(p, adding=False)
    p.set_defaults(run=set_schedule, reconcile=True)

    for name, run in (("disable", disable), ("enable", enable), ("delete", delete)):
        p = cmds.add_parser(name, help=f"{name} a schedule")
        p.add_argument("domain_config_id", metavar="ID")
        p.set_defaults(run=run, reconcile=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows.cookie_scan.cli", description="The cookie-consent scanner."
    )
    parser.add_argument(
        "--db-url", help=f"SQLAlchemy URL of the app database (default: ${DB_URL_ENV}, else app-db)"
    )
    parser.add_argument(
        "--deployment", default=SCAN_DEPLOYMENT, help="the deployment whose schedules follow"
    )
    parser.add_argument(
        "--no-reconcile", action="store_true", help="write the database only; the sync applies"
    )
    sub = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    add_schedule_commands(sub)
    for module_name in GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout

    def work(engine: Engine) -> int:
        args.run(engine, args, out)
        if getattr(args, "reconcile", False) and not args.no_reconcile:
            try:
                _reconcile(engine, args.deployment, out)
            except NotApplied as exc:
                print(f"saved in the database, not yet in Prefect: {exc}", file=sys.stderr)
                return 3
        return 0

    return on_app_db(args.db_url, work, (CliError, ConfigError))


def _reconcile(engine: Engine, deployment: str, out: TextIO) -> None:
    import httpx
    from prefect.client.orchestration import get_client

    from flows.cookie_scan.reconcile import DeploymentMissing, reconcile

    try:
        with get_client(sync_client=True) as client:
            result = reconcile(engine, client, deployment)
    except DeploymentMissing as exc:
        raise NotApplied(str(exc)) from None
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        raise NotApplied(
            f"Prefect API not reached ({type(exc).__name__}: {exc}); the next schedule sync "
            "applies it"
        ) from None
    c = result.counts()
    print(
        f"Prefect {deployment}: {c['created']} created, {c['updated']} updated, "
        f"{c['deleted']} deleted, {c['unchanged']} unchanged",
        file=out,
    )


# --- commands ---------------------------------------------------------------------------


def list_schedules(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    with engine.connect() as conn:
        found = rows(conn)
    if args.source:
        found = [r for r in found if r["source"] == args.source]
    if args.disabled:
        found = [r for r in found if not r["enabled"]]
    table(
        out,
        ("id", "domain", "frequency", "cron", "timezone", "enabled", "source", "pages", "depth"),
        [
            (
                r["domain_config_id"],
                r["domain"],
                r["frequency"],
                _cron(r),
                r["timezone"],
                "yes" if r["enabled"] else "no",
                r["source"],
                r["max_pages"],
                r["scan_depth"],
            )
            for r in found
        ],
    )
    print(f"{len(found)} schedule(s)", file=out)


def _cron(row: Any) -> str:
    try:
        return cron_of(row["frequency"], row["time_config"] or {})
    except InvalidEntry as exc:
        return f"(broken: {exc})"


def _data(args: argparse.Namespace) -> dict[str, Any]:
    """The options given, under the API's field names."""
    data: dict[str, Any] = {}
    pairs = (
        ("domain", "domain"),
        ("max_pages", "maxPages"),
        ("depth", "scanDepth"),
        ("retries", "maxRetries"),
        ("page", "customPages"),
        ("accept_selector", "accept_selector"),
        ("description", "description"),
        ("deep_scan", "allow_deep_scan"),
    )
    for option, name in pairs:
        value = getattr(args, option, None)
        if value is not None:
            data[name] = value
    return data


def _time(args: argparse.Namespace, base: dict[str, Any] | None = None) -> dict[str, Any]:
    time = dict(base or {})
    for option in ("hour", "minute", "timezone"):
        if getattr(args, option) is not None:
            time[option] = getattr(args, option)
    if args.day is not None:
        time.pop("day_of_week", None)
        time.pop("day_of_month", None)
        time["day"] = args.day
    return time


def add_schedule(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    data = _data(args)
    data["schedule"] = {"frequency": args.frequency, "time": _time(args)}
    data["enabled"] = not args.disabled
    raw = {"domain_config_id": args.domain_config_id, "data": data}
    with engine.begin() as conn:
        entry = add(conn, raw)
    state = "enabled" if entry.enabled else "disabled"
    print(
        f"added {entry.domain_config_id}: {entry.domain}, {entry.frequency} "
        f"({entry.cron} {entry.timezone}), {state}",
        file=out,
    )


def set_schedule(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    data = _data(args)
    with engine.begin() as conn:
        schedule = None
        timing = (args.frequency, args.hour, args.minute, args.day, args.timezone)
        if any(v is not None for v in timing):
            current = next(iter(rows(conn, [args.domain_config_id])), None)
            if current is None:
                raise CliError(f"no schedule with domain_config_id {args.domain_config_id!r}")
            base = dict(current["time_config"] or {})
            base.setdefault("timezone", current["timezone"])
            frequency = args.frequency or current["frequency"]
            if frequency == "cron" and args.frequency is None:
                frequency = base.get("cron", frequency)
            schedule = {"frequency": frequency, "time": _time(args, base)}
        if not data and schedule is None:
            raise CliError("nothing to change: give at least one option (see --help)")
        entry = change(conn, args.domain_config_id, data, schedule)
    print(
        f"changed {entry.domain_config_id}: {entry.domain}, {entry.frequency} "
        f"({entry.cron} {entry.timezone}); source now manual",
        file=out,
    )


def _enable(engine: Engine, args: argparse.Namespace, out: TextIO, enabled: bool) -> None:
    with engine.begin() as conn:
        changed = set_enabled(conn, args.domain_config_id, enabled)
    word = "enabled" if enabled else "disabled"
    note = "" if changed else f" (it was {word} already; its Prefect schedule follows again)"
    print(f"{word} {args.domain_config_id}{note}", file=out)


def enable(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _enable(engine, args, out, True)


def disable(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    _enable(engine, args, out, False)


def delete(engine: Engine, args: argparse.Namespace, out: TextIO) -> None:
    with engine.begin() as conn:
        delete_schedule(conn, args.domain_config_id)
    print(f"deleted {args.domain_config_id}", file=out)


# --- output -----------------------------------------------------------------------------


if __name__ == "__main__":
    raise SystemExit(main())
