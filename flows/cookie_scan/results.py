"""Scan results in the app database, and the markdown artifact of one scan.

`store_scan` writes a report in one transaction (the caller's): the scan row, a row
per pass, every cookie (value hash only) and every host. Storing the same report
twice is a no-op (the scan id is the key), so a task retried after a crash at any
line does not write a scan twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from flows.cookie_scan import PHASES
from flows.cookie_scan.diff import CookieDiff, diff_cookies
from flows.cookie_scan.parties import registrable_domain
from flows.cookie_scan.scanner import ScanReport, tcf_consented_purposes
from flows.cookie_scan.tables import (
    cookie_scan_cookies,
    cookie_scan_hosts,
    cookie_scan_phases,
    cookie_scans,
)


def store_scan(conn: Connection, report: ScanReport) -> str:
    """Write `report`; returns its scan id. Idempotent."""
    exists = conn.execute(
        select(cookie_scans.c.scan_id).where(cookie_scans.c.scan_id == report.scan_id)
    ).first()
    if exists is not None:
        return report.scan_id
    conn.execute(
        insert(cookie_scans).values(
            scan_id=report.scan_id,
            domain_config_id=report.domain_config_id,
            domain=report.domain,
            url=report.url,
            status=report.status,
            started_at=report.started_at,
            completed_at=report.completed_at,
            consent_platform=_clip(report.consent_platform, 120),
            pages_visited=report.pages_visited,
            findings=report.findings,
            error=report.error,
        )
    )
    phase_rows, cookie_rows, host_rows = [], [], []
    for phase, result in report.phases.items():
        phase_rows.append(
            {
                "scan_id": report.scan_id,
                "phase": phase,
                "consent_platform": _clip(result.consent.platform, 120),
                "self_test": result.consent.self_test,
                "action": result.consent.action,
                "action_ok": result.consent.action_ok,
                "tcf": result.tcf,
                "screenshot_path": result.screenshot_path,
                "pages": result.pages,
                "refused": result.refused,
                "page_errors": result.page_errors,
                "error": result.error,
            }
        )
        for c in result.cookies:
            cookie_rows.append(
                {
                    "scan_id": report.scan_id,
                    "phase": phase,
                    "name": c.name,
                    "domain": _clip(c.domain, 255),
                    "path": c.path,
                    "expires": c.expires,
                    "secure": c.secure,
                    "http_only": c.http_only,
                    "same_site": _clip(c.same_site, 10),
                    "third_party": c.third_party,
                    "value_hash": c.value_hash,
                    "category": c.category,
                }
            )
        for host, count in result.hosts.items():
            host_rows.append(
                {
                    "scan_id": report.scan_id,
                    "phase": phase,
                    "host": _clip(host, 255),
                    "registrable_domain": _clip(registrable_domain(host), 255),
                    "requests": count,
                }
            )
    conn.execute(insert(cookie_scan_phases), phase_rows)
    if cookie_rows:
        conn.execute(insert(cookie_scan_cookies), cookie_rows)
    if host_rows:
        conn.execute(insert(cookie_scan_hosts), host_rows)
    return report.scan_id


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if isinstance(value, str) else value


# --- reading back -----------------------------------------------------------------------


def load_scan(conn: Connection, scan_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(cookie_scans).where(cookie_scans.c.scan_id == scan_id)).first()
    return dict(row._mapping) if row else None


def load_cookies(conn: Connection, scan_id: str) -> dict[str, list[dict[str, Any]]]:
    """The scan's cookies by phase, as dicts of the table's columns."""
    rows = conn.execute(
        select(cookie_scan_cookies)
        .where(cookie_scan_cookies.c.scan_id == scan_id)
        .order_by(cookie_scan_cookies.c.id)
    ).all()
    by_phase: dict[str, list[dict[str, Any]]] = {p: [] for p in PHASES}
    for row in rows:
        by_phase.setdefault(row.phase, []).append(dict(row._mapping))
    return by_phase


def previous_scan_id(conn: Connection, scan_id: str) -> str | None:
    """The same domain's scan started last before this one."""
    scan = load_scan(conn, scan_id)
    if scan is None:
        return None
    c = cookie_scans.c
    row = conn.execute(
        select(c.scan_id)
        .where(c.domain_config_id == scan["domain_config_id"], c.started_at < scan["started_at"])
        .order_by(c.started_at.desc())
        .limit(1)
    ).first()
    return row.scan_id if row else None


def diff_scan(conn: Connection, scan_id: str) -> tuple[str | None, dict[str, CookieDiff]]:
    """(previous scan id, per-phase diff); the diff is empty without a previous scan."""
    previous = previous_scan_id(conn, scan_id)
    if previous is None:
        return None, {}
    now, then = load_scan(conn, scan_id), load_scan(conn, previous)
    current, old = load_cookies(conn, scan_id), load_cookies(conn, previous)
    return previous, {
        phase: diff_cookies(
            old.get(phase, []), current.get(phase, []), then["started_at"], now["started_at"]
        )
        for phase in PHASES
    }


# --- the artifact -----------------------------------------------------------------------


def scan_markdown(conn: Connection, scan_id: str) -> str:
    """Findings, a per-pass table and the diff against the previous scan, as markdown."""
    scan = load_scan(conn, scan_id)
    if scan is None:
        return f"# Cookie scan\n\nNo scan `{scan_id}` in the database.\n"
    findings = scan["findings"] or {}
    phases = {
        row.phase: dict(row._mapping)
        for row in conn.execute(
            select(cookie_scan_phases).where(cookie_scan_phases.c.scan_id == scan_id)
        )
    }
    cookies = load_cookies(conn, scan_id)
    hosts: dict[str, list[str]] = {p: [] for p in PHASES}
    for row in conn.execute(
        select(cookie_scan_hosts)
        .where(cookie_scan_hosts.c.scan_id == scan_id)
        .order_by(cookie_scan_hosts.c.host)
    ):
        hosts.setdefault(row.phase, []).append(row.host)

    out = [f"# Cookie scan of {_md(scan['domain'])}", ""]
    out.append(
        f"Scan `{scan_id}` of `{_md(scan['url'])}`, {_when(scan['started_at'])}: "
        f"**{scan['status']}**; consent platform: "
        f"**{_md(scan['consent_platform'] or 'none found')}**; "
        f"{scan['pages_visited']} page(s) per pass."
    )
    if scan["error"]:
        out += ["", f"Error: {_md(scan['error'])}"]
    out += ["", "## Findings", ""]
    violations = findings.get("violations") or []
    out.append(
        "No violation found." if not violations else "Violations: " + ", ".join(violations) + "."
    )
    out.append("")
    out += _cookie_list("Cookies set before consent", findings.get("cookies_before_consent"))
    out += _cookie_list("Cookies that survive reject-all", findings.get("cookies_after_reject"))
    tcf = findings.get("tcf_consent_after_reject")
    if findings.get("tcf_api") is None:
        out.append("- IAB TCF consent after reject: not checked (the reject pass failed)")
    elif not findings.get("tcf_api"):
        out.append("- IAB TCF consent after reject: the page has no TCF API")
    elif tcf:
        out.append(
            "- **IAB TCF consent recorded after reject**, purposes "
            + ", ".join(str(p) for p in tcf.get("purposes", []))
        )
    else:
        out.append("- IAB TCF consent after reject: none recorded")
    if findings.get("refused_requests"):
        out.append(f"- Requests refused by the outbound guard: {findings['refused_requests']}")
    for error in findings.get("page_errors") or []:
        out.append(f"- Page failed ({error['phase']}): {_md(error['url'])}: {_md(error['error'])}")

    out += ["", "## Passes", ""]
    out.append(
        "| pass | consent platform | action | ok | self-test | cookies | needing consent "
        "| third-party cookies | third-party hosts | TCF purposes | screenshot |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for phase in PHASES:
        row = phases.get(phase)
        if row is None:
            continue
        jar = cookies.get(phase, [])
        needing = sum(1 for c in jar if c["category"] in ("tracking", "other"))
        third = sum(1 for c in jar if c["third_party"])
        purposes = tcf_consented_purposes(row["tcf"])
        site_hosts = [h for h in hosts.get(phase, []) if _third(h, scan["domain"])]
        out.append(
            f"| {phase} | {_md(row['consent_platform'] or '-')} | {row['action'] or '-'} "
            f"| {_yn(row['action_ok'])} | {_yn(row['self_test'])} | {len(jar)} | {needing} "
            f"| {third} | {_md(', '.join(site_hosts) or '-')} "
            f"| {'-' if purposes is None else (', '.join(map(str, purposes)) or 'none')} "
            f"| {_md(row['screenshot_path'] or '-')} |"
        )
        if row["error"]:
            out.append(f"| | error: {_md(row['error'])} | | | | | | | | | |")

    out += ["", "## Cookies", ""]
    out.append("| pass | name | domain | party | class | expires | secure | httpOnly | sameSite |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for phase in PHASES:
        for c in cookies.get(phase, []):
            out.append(
                f"| {phase} | {_md(c['name'])} | {_md(c['domain'])} "
                f"| {'third' if c['third_party'] else 'first'} | {c['category']} "
                f"| {_when(c['expires']) if c['expires'] else 'session'} | {_yn(c['secure'])} "
                f"| {_yn(c['http_only'])} | {c['same_site'] or '-'} |"
            )

    previous, diffs = diff_scan(conn, scan_id)
    out += ["", "## Changes since the previous scan", ""]
    if previous is None:
        out.append("First scan of this domain: nothing to compare.")
    elif all(d.empty for d in diffs.values()):
        out.append(f"No cookie changed since scan `{previous}`.")
    else:
        out.append(f"Against scan `{previous}`:")
        out.append("")
        for phase in PHASES:
            d = diffs.get(phase)
            if d is None or d.empty:
                continue
            for c in d.new:
                out.append(f"- {phase}: new {_code(c['name'])} ({_md(c['domain'])})")
            for c in d.removed:
                out.append(f"- {phase}: removed {_code(c['name'])} ({_md(c['domain'])})")
            for c in d.changed:
                out.append(
                    f"- {phase}: changed {_code(c['name'])} ({_md(c['domain'])}): "
                    + ", ".join(c["changes"])
                )
    return "\n".join(out) + "\n"


def _cookie_list(title: str, items: list[dict[str, Any]] | None) -> list[str]:
    if items is None:
        return [f"- {title}: not checked (the pass failed)"]
    if not items:
        return [f"- {title}: none"]
    names = ", ".join(
        f"{_code(c['name'])} ({_md(c['domain'])}, {'third' if c['third_party'] else 'first'} party"
        + (", also after accept" if c.get("also_after_accept") else "")
        + ")"
        for c in items
    )
    return [f"- **{title}**: {names}"]


def _code(text: Any) -> str:
    """Page-controlled text as inline code: it cannot close the span or a table cell."""
    value = str(text).replace("`", "'").replace("\n", " ").replace("|", "\\|")
    return f"`{value[:200]}`"


def _third(host: str, domain: str) -> bool:
    return registrable_domain(host) != registrable_domain(domain)


def _md(text: Any) -> str:
    """Page-controlled text in a table cell: no pipes, no newlines, no markup."""
    value = str(text).replace("\n", " ").replace("|", "\\|")
    for ch in "`*_[]<>":
        value = value.replace(ch, "\\" + ch)
    return value[:200]


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
