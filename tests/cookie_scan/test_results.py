"""Scan results stored (SQLite and PostgreSQL), read back, diffed, and rendered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from flows.cookie_scan.autoconsent import ConsentOutcome
from flows.cookie_scan.cookies import from_browser
from flows.cookie_scan.results import diff_scan, scan_markdown, store_scan
from flows.cookie_scan.scanner import PhaseResult, ScanReport, verdicts
from flows.cookie_scan.tables import cookie_scan_cookies, cookie_scan_hosts, cookie_scans

DOMAIN = "news-onetrust.test"
ACTIONS = {"before": "none", "accept": "opt-in", "reject": "opt-out"}


def jar(*specs, started):
    """(name, domain, value) -> cookies as the browser reports them, a month's lifetime."""
    expires = (started + timedelta(days=30)).timestamp()
    return [
        from_browser(
            {"name": n, "domain": d, "path": "/", "value": v, "expires": expires,
             "secure": d != DOMAIN, "httpOnly": False,
             "sameSite": "None" if d != DOMAIN else "Lax"},
            DOMAIN,
        )
        for n, d, v in specs
    ]  # fmt: skip


def report(started, before, accept, reject, tcf=None):
    phases = {}
    for phase, cookies in (("before", before), ("accept", accept), ("reject", reject)):
        phases[phase] = PhaseResult(
            phase,
            pages=[f"http://{DOMAIN}/"],
            cookies=jar(*cookies, started=started),
            hosts={DOMAIN: 3, "ads-tracker.test": 1},
            third_party_hosts={"ads-tracker.test": 1},
            refused=[{"host": "127.0.0.1", "port": 9, "reason": "refused: loopback"}],
            consent=ConsentOutcome(detected=["Onetrust"], popup_cmp="Onetrust",
                                   action=ACTIONS[phase],
                                   action_ok=None if phase == "before" else True,
                                   self_test=True if phase == "reject" else None),
            tcf=tcf if phase == "reject" else None,
            screenshot_path=f"/shots/{phase}.jpg",
        )  # fmt: skip
    return ScanReport(
        scan_id=str(uuid.uuid4()),
        domain_config_id="demo-onetrust",
        domain=DOMAIN,
        url=f"http://{DOMAIN}/",
        status="completed",
        started_at=started,
        completed_at=started + timedelta(seconds=5),
        consent_platform="Onetrust",
        pages_visited=1,
        findings=verdicts(phases, DOMAIN),
        phases=phases,
    )


T0 = datetime(2026, 11, 1, 2, tzinfo=UTC)


def test_store_is_idempotent_and_keeps_only_value_hashes(app_db):
    r = report(
        T0,
        before=[("_ga", DOMAIN, "secret-1")],
        accept=[("_ga", DOMAIN, "secret-1"), ("ad", "ads-tracker.test", "secret-2")],
        reject=[("OptanonConsent", DOMAIN, "secret-3")],
    )
    with app_db.begin() as conn:
        assert store_scan(conn, r) == r.scan_id
    with app_db.begin() as conn:  # a retried task stores the same report again
        assert store_scan(conn, r) == r.scan_id
    with app_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cookie_scans)).scalar() == 1
        rows = conn.execute(select(cookie_scan_cookies)).all()
        assert len(rows) == 4
        assert all("secret" not in str(tuple(row)) for row in rows)
        third = [row for row in rows if row.third_party]
        assert [(row.phase, row.name, row.category) for row in third] == [
            ("accept", "ad", "tracking")
        ]
        hosts = conn.execute(
            select(cookie_scan_hosts.c.host, cookie_scan_hosts.c.registrable_domain)
        ).all()
        assert ("ads-tracker.test", "ads-tracker.test") in hosts
        stored = conn.execute(select(cookie_scans.c.findings)).scalar()
        assert stored["violations"] == ["cookies_before_consent"]
        assert stored["cookies_before_consent"][0]["name"] == "_ga"


def test_markdown_shows_findings_passes_and_the_diff_with_the_previous_scan(app_db):
    first = report(
        T0,
        before=[("_ga", DOMAIN, "v1"), ("gone", DOMAIN, "x")],
        accept=[("_ga", DOMAIN, "v1")],
        reject=[("_ga", DOMAIN, "v1")],
    )
    second = report(
        T0 + timedelta(days=1),
        before=[("_ga", DOMAIN, "v2"), ("fresh|`x`", DOMAIN, "y")],
        accept=[("_ga", DOMAIN, "v1"), ("ad", "ads-tracker.test", "z")],
        reject=[("_ga", DOMAIN, "v1")],
        tcf={"purposeConsents": {"1": True, "2": False}},
    )
    with app_db.begin() as conn:
        store_scan(conn, first)
        store_scan(conn, second)
    with app_db.connect() as conn:
        previous, diffs = diff_scan(conn, second.scan_id)
        assert previous == first.scan_id
        assert [c["name"] for c in diffs["before"].new] == ["fresh|`x`"]
        assert [c["name"] for c in diffs["before"].removed] == ["gone"]
        assert [(c["name"], c["changes"]) for c in diffs["before"].changed] == [
            ("_ga", ["value_hash"])
        ]
        assert diffs["reject"].empty  # same cookie, a day later: not a change
        text = scan_markdown(conn, second.scan_id)
        assert scan_markdown(conn, first.scan_id).count("First scan of this domain") == 1
    assert "# Cookie scan of news-onetrust.test" in text
    assert "cookies_before_consent, cookies_after_reject, tcf_consent_after_reject" in text
    assert "IAB TCF consent recorded after reject**, purposes 1" in text
    assert "- before: new `fresh\\|'x'` (news-onetrust.test)" in text
    assert "- before: removed `gone`" in text
    assert "- before: changed `_ga` (news-onetrust.test): value_hash" in text
    assert "| reject | Onetrust | opt-out | yes | yes |" in text
    # a pipe or backtick from a page cannot break the tables
    for line in text.splitlines():
        if line.startswith("| before | fresh"):
            assert line.count("|") - line.count("\\|") == 10


def test_verdicts_of_a_compliant_site_are_empty():
    r = report(
        T0,
        before=[("OptanonConsent", DOMAIN, "c"), ("sessionid", DOMAIN, "s")],
        accept=[("_ga", DOMAIN, "1"), ("ad", "ads-tracker.test", "2")],
        reject=[("OptanonConsent", DOMAIN, "c")],
        tcf={"purposeConsents": {"1": False}},
    )
    f = r.findings
    assert f["cookies_before_consent"] == [] and f["cookies_after_reject"] == []
    assert f["tcf_api"] is True and f["tcf_consent_after_reject"] == []
    assert f["violations"] == []
    assert f["cookies_on_accept_only"] == ["_ga", "ad"]
