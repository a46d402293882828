"""Each sandbox consent site scanned for real (Chromium, autoconsent, the guard proxy):
the verdicts per pass are the ones the site was built to produce (`sites.py`)."""

from __future__ import annotations

import pytest

from blocks.cookie_scan import CookieScanner
from flows.common.outbound import OutboundPolicy
from flows.cookie_scan.config import DomainConfig
from flows.cookie_scan.scanner import scan_domain
from infra.sandbox.services.consent import sites


@pytest.fixture
def scanner_env(sb):
    env = sb.seed("demo")["env"]
    scanner = CookieScanner(
        url_template=env["COOKIE_SCAN_URL_TEMPLATE"],
        host_map=env["COOKIE_SCAN_HOST_MAP"].split(","),
        secure_origins=env["COOKIE_SCAN_SECURE_ORIGINS"].split(","),
        settle_seconds=1.0,
    )
    policy = OutboundPolicy.parse([f"127.0.0.1:{sb.port}"])
    return scanner, policy


def config_for(site: sites.Site) -> DomainConfig:
    return DomainConfig(
        domain_config_id=site.domain_config_id,
        domain=site.domain,
        allow_deep_scan=site.depth > 0,
        max_pages=len(site.pages),
        scan_depth=site.depth,
        accept_selector=site.accept_selector,
    )


def jar(report, phase):
    return {(c.domain.lstrip("."), c.name) for c in report.phases[phase].cookies}


@pytest.mark.parametrize("site", sites.SITES, ids=lambda s: s.domain_config_id)
def test_site_verdicts(scanner_env, tmp_path, site):
    scanner, policy = scanner_env
    report = scan_domain(config_for(site), scanner, policy, tmp_path)
    assert report.status == "completed", report.error
    assert report.consent_platform == site.platform
    for phase in ("before", "accept", "reject"):
        assert jar(report, phase) == set(getattr(site, phase)), phase
        assert set(report.phases[phase].third_party_hosts) == set(
            site.third_party_hosts.get(phase, ())
        ), phase
        assert report.phases[phase].screenshot_path
    f = report.findings
    flagged_before = {(c["domain"].lstrip("."), c["name"]) for c in f["cookies_before_consent"]}
    flagged_reject = {(c["domain"].lstrip("."), c["name"]) for c in f["cookies_after_reject"]}
    assert flagged_before == set(site.cookies_before_consent)
    assert flagged_reject == set(site.cookies_after_reject)
    assert tuple((f["tcf_consent_after_reject"] or {}).get("purposes", ())) == tuple(
        site.tcf_consent_after_reject
    )
    assert f["tcf_api"] is site.tcf
    assert report.pages_visited == len(site.pages)
    assert report.phases["reject"].consent.action_ok is True
    assert report.phases["accept"].consent.action_ok is True
