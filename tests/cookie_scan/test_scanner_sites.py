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


@pytest.fixture
def internal():
    """A loopback service the hostile site points at; it must never see a request."""
    from tests.cookie_scan.local_sites import Site, html

    site = Site().start()
    site.pages["/admin"] = lambda _s, _h: html("admin")
    yield site
    site.stop()


def test_the_hostile_site_is_refused_at_every_hop_and_subresource(
    sb, scanner_env, internal, tmp_path
):
    scanner, policy = scanner_env
    sb.consent.set_internal_port(internal.port)
    # The start page redirects to 127.0.0.1:<internal>: every pass fails at that hop.
    report = scan_domain(
        DomainConfig("demo-evil", sites.EVIL, custom_pages=("/subresources",)),
        scanner,
        policy,
        tmp_path,
    )
    assert report.status == "failed"
    for phase in report.phases.values():
        assert ("127.0.0.1", internal.port) in {(r["host"], r["port"]) for r in phase.refused}
    # The page loading inward subresources as the start page; the metadata and private
    # redirects as custom pages.
    page = scan_domain(
        DomainConfig("demo-evil", sites.EVIL, custom_pages=("/metadata", "/private")),
        scanner.model_copy(update={"url_template": scanner.url_template + "subresources"}),
        policy,
        tmp_path,
    )
    assert page.status == "completed", page.error
    refused = {(r["host"], r["port"]) for r in page.phases["before"].refused}
    assert {("169.254.169.254", 80), ("127.0.0.1", internal.port), ("192.168.0.1", 80)} <= refused
    assert internal.requests["*"] == 0
