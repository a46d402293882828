"""The scanner end to end on small pages of our own (real Chromium, autoconsent, guard).

Each page isolates one behaviour: a third-party cookie from another registrable
domain and one set inside a cross-site frame, the crawl limits, a failing page, a
hostile redirect during the crawl, the accept selector, two scans from two threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from blocks.cookie_scan import CookieScanner
from flows.common.outbound import OutboundPolicy, OutboundRefused
from flows.cookie_scan.config import DomainConfig
from flows.cookie_scan.scanner import scan_domain
from tests.cookie_scan.local_sites import Site, html, redirect

THIRD = "; Path=/; Max-Age=86400; SameSite=None; Secure"
BANNER = """
<div id="cookie-banner" style="position:fixed;bottom:0;left:0;right:0;padding:20px">
 <p>We use cookies for analytics and advertising. Do you accept cookies?</p>
 <button class="yes" onclick="document.cookie='_stats=1; path=/; max-age=86400';
   this.parentNode.remove()">Accept all</button>
 <button onclick="document.cookie='site_consent=no; path=/'; this.parentNode.remove()">
   Reject all</button>
</div>"""


@pytest.fixture
def site():
    s = Site().start()
    p = s.port
    s.pages[("shop.test", "/")] = lambda _s, _h: html(
        f'<a href="/a">a</a> <a href="/b">b</a> <a href="http://other.test:{p}/">other</a>'
        f'<img src="http://ads.test:{p}/px"><iframe src="http://widgets.test:{p}/frame"></iframe>'
        f"<script>document.cookie='_early=1; path=/; max-age=3600'</script>{BANNER}"
    )
    s.pages[("shop.test", "/a")] = lambda _s, _h: html('<a href="/a/deeper">deeper</a>')
    s.pages[("shop.test", "/a/deeper")] = lambda _s, _h: html("deep")
    s.pages[("shop.test", "/b")] = lambda _s, _h: html("b")
    s.pages[("shop.test", "/broken")] = lambda _s, _h: (500, [], "boom")
    s.pages[("shop.test", "/hostile")] = lambda _s, _h: redirect("http://169.254.169.254/")
    s.pages[("ads.test", "/px")] = lambda _s, _h: (200, [("Set-Cookie", "ad_id=1" + THIRD)], "")
    s.pages[("widgets.test", "/frame")] = lambda _s, _h: html(
        f"<script>document.cookie='w_js=1{THIRD}'</script>", ("Set-Cookie", "w_http=1" + THIRD)
    )
    yield s
    s.stop()


def scanner_for(site: Site, **over) -> CookieScanner:
    names = ["shop.test", "ads.test", "widgets.test", "other.test"]
    return CookieScanner(
        url_template=f"http://{{domain}}:{site.port}/",
        host_map=["*.test=127.0.0.1"],
        secure_origins=[f"http://{n}:{site.port}" for n in names],
        settle_seconds=over.pop("settle_seconds", 0.5),
        **over,
    )


def policy_for(site: Site) -> OutboundPolicy:
    return OutboundPolicy.parse([f"127.0.0.1:{site.port}"])


def config(**over) -> DomainConfig:
    return DomainConfig(domain_config_id="t-shop", domain="shop.test", **over)


def names(report, phase):
    return {(c.domain.lstrip("."), c.name, c.third_party) for c in report.phases[phase].cookies}


def test_third_party_cookies_appear_from_another_site_and_from_a_cross_site_frame(site, tmp_path):
    report = scan_domain(config(), scanner_for(site), policy_for(site), tmp_path)
    assert report.status == "completed", report.error
    before = names(report, "before")
    assert ("ads.test", "ad_id", True) in before  # set by a subresource's response
    assert ("widgets.test", "w_http", True) in before  # set by a cross-site frame's response
    assert ("widgets.test", "w_js", True) in before  # set by script inside that frame
    assert ("shop.test", "_early", False) in before
    flagged = {c["name"] for c in report.findings["cookies_before_consent"]}
    assert {"_early", "ad_id", "w_http", "w_js"} <= flagged
    assert report.findings["third_party_hosts"]["before"] == ["ads.test", "widgets.test"]
    for cookie in report.phases["before"].cookies:
        assert len(cookie.value_hash) == 64


def test_passes_answer_the_banner_and_screenshot_it_first(site, tmp_path):
    report = scan_domain(config(), scanner_for(site), policy_for(site), tmp_path)
    before, reject = report.phases["before"], report.phases["reject"]
    assert before.consent.platform == "HEURISTIC-REJECT" and before.consent.action == "none"
    assert ("shop.test", "site_consent", False) not in names(report, "before")
    assert reject.consent.action == "opt-out" and reject.consent.action_ok is True
    assert ("shop.test", "site_consent", False) in names(report, "reject")
    assert ("shop.test", "_stats", False) not in names(report, "reject")
    # heuristics cannot accept a banner that has a reject button; the report says so
    assert report.phases["accept"].consent.action_ok is False
    for phase in report.phases.values():
        assert Path(phase.screenshot_path).is_file()
        assert Path(phase.screenshot_path).is_relative_to(tmp_path)


def test_the_accept_selector_overrides_autoconsent(site, tmp_path):
    report = scan_domain(
        config(accept_selector="#cookie-banner .yes"), scanner_for(site), policy_for(site), tmp_path
    )
    accept = report.phases["accept"]
    assert (accept.consent.action, accept.consent.action_ok) == ("selector", True)
    assert ("shop.test", "_stats", False) in names(report, "accept")
    assert report.findings["cookies_on_accept_only"] == ["_stats"]


def test_crawl_limits_depth_and_custom_pages(site, tmp_path):
    scanner, policy = scanner_for(site), policy_for(site)
    shallow = scan_domain(config(max_pages=5, scan_depth=3), scanner, policy, tmp_path)
    assert shallow.phases["before"].pages == [site.url("shop.test")]  # no deep scan allowed
    custom = scan_domain(config(custom_pages=("/b",)), scanner, policy, tmp_path)
    assert custom.phases["before"].pages == [site.url("shop.test"), site.url("shop.test", "/b")]
    deep = scan_domain(
        config(allow_deep_scan=True, max_pages=10, scan_depth=1), scanner, policy, tmp_path
    )
    pages = deep.phases["before"].pages
    assert sorted(pages) == sorted(site.url("shop.test", p) for p in ("/", "/a", "/b"))
    capped = scan_domain(
        config(allow_deep_scan=True, max_pages=2, scan_depth=5), scanner, policy, tmp_path
    )
    assert len(capped.phases["before"].pages) == 2
    assert site.requests[("other.test", "/")] == 0  # another site's link is never followed


def test_a_failing_page_and_a_hostile_redirect_are_recorded_and_the_scan_goes_on(site, tmp_path):
    report = scan_domain(
        config(custom_pages=("/broken", "/hostile", "/b", "http://elsewhere.test/")),
        scanner_for(site),
        policy_for(site),
        tmp_path,
    )
    assert report.status == "completed"
    before = report.phases["before"]
    assert site.url("shop.test", "/b") in before.pages
    errors = {e["url"]: e["error"] for e in before.page_errors}
    assert errors[site.url("shop.test", "/broken")] == "HTTP 500"
    assert "403" in errors[site.url("shop.test", "/hostile")]
    assert "not on this site" in errors["http://elsewhere.test/"]
    assert {r["host"] for r in before.refused} == {"169.254.169.254"}
    assert report.findings["refused_requests"] >= 3


def test_a_refused_start_address_fails_the_scan_before_any_browsing(site, tmp_path):
    with pytest.raises(OutboundRefused, match="loopback"):
        scan_domain(config(), scanner_for(site), OutboundPolicy(), tmp_path)
    assert site.requests["*"] == 0


def test_scans_from_two_threads_at_once(site, tmp_path):
    scanner, policy = scanner_for(site, max_parallel=2), policy_for(site)
    reports, errors = [], []

    def scan():
        try:
            reports.append(scan_domain(config(), scanner, policy, tmp_path))
        except Exception as exc:  # pragma: no cover - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert len(reports) == 2 and len({r.scan_id for r in reports}) == 2
    assert all(r.status == "completed" for r in reports)
    assert all(("ads.test", "ad_id", True) in names(r, "before") for r in reports)
