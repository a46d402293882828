"""The sandbox's consent sites: host routing, each site's pages and cookies over plain HTTP,
and, in a real Chromium with DuckDuckGo's autoconsent injected, that every banner is found
by the platform rule it imitates and that opting in and out works.

The autoconsent harness here is a throwaway to prove the sites; the product's own lives in
``flows/cookie_scan``. What it does is what the consent service's docstring asks of a
scanner: full rule set, each frame's ``init``/``eval`` answered in that frame, third-party
cookies allowed through the profile's preference, the sites' origins treated as secure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.common.browser import CHROMIUM_FLAGS, chromium_path
from infra.sandbox.core.client import REPO_ROOT, Sandbox
from infra.sandbox.services.consent import sites
from infra.sandbox.services.consent.sites import Site

AUTOCONSENT = REPO_ROOT / "node_modules" / "@duckduckgo" / "autoconsent"
CONTENT_SCRIPT = AUTOCONSENT / "dist" / "autoconsent.playwright.js"
FULL_RULES = AUTOCONSENT / "rules" / "rules.json"
PASS_TIMEOUT_S = 25.0


def get(sb: Sandbox, host: str, path: str = "/", **kwargs: Any) -> httpx.Response:
    """A request as a browser mapping ``*.test`` to loopback sends it."""
    headers = {"host": f"{host}:{sb.port}", **kwargs.pop("headers", {})}
    return httpx.get(f"{sb.base_url}{path}", headers=headers, timeout=10, **kwargs)


# --- host routing (the core hook) ----------------------------------------------------------------


def test_a_claimed_host_reaches_its_site_and_the_address_still_reaches_the_core(
    sb: Sandbox,
) -> None:
    page = get(sb, sites.ONETRUST.domain)
    assert page.status_code == 200 and 'id="onetrust-banner-sdk"' in page.text
    # The same path by address is the sandbox as before: no site, no service under "/".
    assert httpx.get(f"{sb.base_url}/", timeout=10).status_code == 404
    assert httpx.get(f"{sb.base_url}/_sandbox/health", timeout=10).json() == {"ok": True}
    # Control paths are never rewritten, whatever the Host.
    assert get(sb, sites.ONETRUST.domain, "/_sandbox/health").json() == {"ok": True}
    # An unclaimed name is not routed anywhere.
    assert get(sb, "unknown.example", "/").status_code == 404
    logged = [r["path"] for r in sb.requests(path="^/consent/host/")]
    assert logged == [f"/consent/host/{sites.ONETRUST.domain}/"]
    assert sb.consent.hits() == {sites.ONETRUST.domain: 1}


# --- pages and cookies over plain HTTP -----------------------------------------------------------


def test_every_site_serves_its_home_page_and_unknown_paths_are_404(sb: Sandbox) -> None:
    for site in sites.SITES:
        page = get(sb, site.domain)
        assert page.status_code == 200, site.domain
        assert f"http://{sites.ADS}:{sb.port}" not in page.text or site is sites.ONETRUST
        assert get(sb, site.domain, "/no-such-page").status_code == 404, site.domain


def test_the_onetrust_site_sets_an_analytics_cookie_before_consent_once(sb: Sandbox) -> None:
    first = get(sb, sites.ONETRUST.domain)
    assert first.cookies.get("news_visitor", "").startswith("nv1.")
    again = get(sb, sites.ONETRUST.domain, cookies={"news_visitor": "nv1.x"})
    assert "news_visitor" not in again.cookies


def test_the_shop_has_three_same_site_pages_within_depth_two(sb: Sandbox) -> None:
    home = get(sb, sites.COOKIEBOT.domain).text
    assert "href='/products'" in home and f"http://{sites.GENERIC.domain}:{sb.port}/" in home
    assert "href='/products/desk-lamp'" in get(sb, sites.COOKIEBOT.domain, "/products").text
    for path in sites.COOKIEBOT.pages:
        assert get(sb, sites.COOKIEBOT.domain, path).status_code == 200


def test_third_parties_set_cross_site_cookies(sb: Sandbox) -> None:
    tag = get(sb, sites.ADS, "/tag.js")
    assert f"http://{sites.ADS}:{sb.port}/pixel.gif" in tag.text
    pixel = get(sb, sites.ADS, "/pixel.gif")
    assert pixel.headers["content-type"] == "image/gif"
    assert "SameSite=None; Secure" in pixel.headers["set-cookie"]
    frame = get(sb, sites.WIDGETS, "/widget.html")
    assert frame.headers["set-cookie"].startswith("cw_session=")
    assert "cw_pref=" in frame.text


# --- real Chromium with autoconsent --------------------------------------------------------------


@dataclass
class PassResult:
    """What one pass saw: autoconsent's messages (per frame url) and the cookie jar."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    cookies: set[tuple[str, str]] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    tcf: dict[str, Any] | None = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    def cmps(self, kind: str = "cmpDetected") -> set[str]:
        return {m["cmp"] for m in self.of(kind)}

    def attempts(self) -> int:
        """Detection rounds the top frame's autoconsent has started."""
        rounds = [m["state"]["findCmpAttempts"] for m in self.of("report") if m.get("mainFrame")]
        return max(rounds, default=0)


class Harness:
    """One browser (persistent profile allowing third-party cookies), a fresh context per
    pass, autoconsent injected in every frame."""

    def __init__(self, playwright: Any, port: int, profile: Path) -> None:
        (profile / "Default").mkdir(parents=True)
        prefs = {"profile": {"cookie_controls_mode": 0}}
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        args = [
            *CHROMIUM_FLAGS,
            "--host-resolver-rules=MAP *.test 127.0.0.1",
            "--unsafely-treat-insecure-origin-as-secure=" + ",".join(sites.secure_origins(port)),
        ]
        self.persistent = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path(), args=args, headless=True
        )
        self.playwright = playwright
        self.args = args
        self.browser = self.persistent.browser
        self.port = port
        self.script = CONTENT_SCRIPT.read_text()
        self.rules = json.dumps(json.loads(FULL_RULES.read_text())["autoconsent"])

    def close(self) -> None:
        self.persistent.close()

    def run(
        self,
        site: Site,
        action: str | None,
        heuristic: bool = False,
        path: str = "/",
        click: str | None = None,
        attempts: int | None = None,
    ) -> PassResult:
        """Load ``path``, let autoconsent do ``action`` (None, optIn, optOut), or ``click``
        a selector once the banner is found, then read the cookie jar.

        With ``attempts``, stop waiting once autoconsent has started that many detection
        rounds (it then waits up to a minute for the page to change before giving up).
        """
        result = PassResult()
        config = {
            "enabled": True,
            "autoAction": action,
            "disabledCmps": [],
            "enablePrehide": False,
            "detectRetries": 20,
            "enableCosmeticRules": True,
            "heuristicMode": "reject" if heuristic else "off",
        }
        context = self.browser.new_context()
        try:
            context.on("request", lambda r: result.hosts.add(r.url.split("/")[2].split(":")[0]))

            def on_message(source: dict[str, Any], message: dict[str, Any]) -> None:
                frame = source["frame"]
                result.messages.append({**message, "frame": frame.url})
                if message["type"] == "init":
                    # As source text: Playwright serialises a 700 kB argument object slowly.
                    frame.evaluate(
                        "autoconsentReceiveMessage({type: 'initResp', config: "
                        f"{json.dumps(config)}, rules: {{autoconsent: {self.rules}}}}})"
                    )
                elif message["type"] == "eval":
                    try:
                        value = bool(frame.evaluate(message["code"]))
                    except Exception:
                        value = False
                    answer = {"id": message["id"], "type": "evalResp", "result": value}
                    frame.evaluate("m => autoconsentReceiveMessage(m)", answer)

            context.expose_binding("autoconsentSendMessage", on_message)
            context.add_init_script(self.script)
            page = context.new_page()
            page.goto(f"http://{site.domain}:{self.port}{path}", wait_until="load")
            done = {"optIn": "optInResult", "optOut": "optOutResult"}.get(action or "")
            deadline = time.monotonic() + PASS_TIMEOUT_S
            while time.monotonic() < deadline:
                if done and result.of(done):
                    break
                if not done and result.of("popupFound"):
                    break
                if attempts is not None and result.attempts() >= attempts:
                    page.wait_for_timeout(3000)  # that round's rule checks finish
                    break
                page.wait_for_timeout(200)
            scheduled = [m for m in result.of("optOutResult") if m.get("scheduleSelfTest")]
            if scheduled:  # as autoconsent's own runner: self-test the frame that opted out
                frame = next(f for f in page.frames if f.url == scheduled[0]["frame"])
                frame.evaluate("autoconsentReceiveMessage({type: 'selfTest'})")
                while time.monotonic() < deadline and not result.of("selfTestResult"):
                    page.wait_for_timeout(200)
            if click is not None:
                page.click(click, timeout=5000)
            page.wait_for_timeout(1500)  # settle: banners hide, pixels load
            if site.tcf:
                result.tcf = page.evaluate(
                    "() => new Promise(r => window.__tcfapi('getTCData', 2, (d, ok) => r(d)))"
                )
            result.cookies = {(c["domain"].lstrip("."), c["name"]) for c in context.cookies()}
        finally:
            context.close()
        return result


@pytest.fixture(scope="module")
def harness(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    if not CONTENT_SCRIPT.exists():
        pytest.fail(f"autoconsent is not installed at {AUTOCONSENT}: run make install")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = Harness(playwright, sandbox.port, tmp_path_factory.mktemp("profile"))
        try:
            yield browser
        finally:
            browser.close()


RULE_SITES = [site for site in sites.SITES if not site.heuristic_only]


@pytest.mark.parametrize("site", RULE_SITES, ids=lambda s: s.domain)
def test_autoconsent_finds_the_platform_and_no_interaction_keeps_the_before_cookies(
    harness: Harness, site: Site
) -> None:
    seen = harness.run(site, None, heuristic=True)  # a rule wins over the heuristics
    assert seen.cmps() == {site.platform}, seen.messages
    assert seen.cmps("popupFound") == {site.platform}
    assert seen.cookies == set(site.before)
    third = {h for h in seen.hosts if h != site.domain}
    assert third == set(site.third_party_hosts["before"])


@pytest.mark.parametrize("site", RULE_SITES, ids=lambda s: s.domain)
def test_autoconsent_opts_in(harness: Harness, site: Site) -> None:
    seen = harness.run(site, "optIn")
    assert [m["result"] for m in seen.of("optInResult")] == [True], seen.messages
    assert seen.cmps("autoconsentDone") == {site.platform}
    assert seen.cookies == set(site.accept)
    third = {h for h in seen.hosts if h != site.domain}
    assert third == set(site.third_party_hosts["accept"])


@pytest.mark.parametrize("site", RULE_SITES, ids=lambda s: s.domain)
def test_autoconsent_opts_out(harness: Harness, site: Site) -> None:
    seen = harness.run(site, "optOut")
    assert [m["result"] for m in seen.of("optOutResult")] == [True], seen.messages
    assert seen.cmps("autoconsentDone") == {site.platform}
    assert seen.cookies == set(site.reject)
    self_tests = [m["result"] for m in seen.of("selfTestResult")]
    assert self_tests == ([] if site.self_test is None else [site.self_test])
    if site.tcf:
        consents = seen.tcf["purpose"]["consents"]
        assert sorted(int(k) for k, v in consents.items() if v) == list(
            site.tcf_consent_after_reject
        )


def test_no_rule_knows_the_generic_banner(harness: Harness) -> None:
    seen = harness.run(sites.GENERIC, "optOut", attempts=2)
    assert seen.attempts() >= 2 and not seen.of("cmpDetected"), seen.messages
    assert seen.of("eval"), "the rules ran (some rules ask the page through eval)"
    assert seen.cookies == set()


def test_the_heuristics_find_the_generic_banner_and_reject(harness: Harness) -> None:
    seen = harness.run(sites.GENERIC, "optOut", heuristic=True)
    assert seen.cmps() == {sites.GENERIC.platform}, seen.messages
    assert [m["result"] for m in seen.of("optOutResult")] == [True]
    assert [m["result"] for m in seen.of("selfTestResult")] == [sites.GENERIC.self_test]
    assert seen.cookies == set(sites.GENERIC.reject)


def tcf_purposes(tc_string: str) -> list[int]:
    """Purposes consented in a TCF v2 core string (bits 152-175, after the fixed fields)."""
    core = tc_string.split(".")[0]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bits = "".join(format(alphabet.index(ch), "06b") for ch in core)
    assert int(bits[:6], 2) == 2, "version 2"
    return [i + 1 for i, bit in enumerate(bits[152:176]) if bit == "1"]


def test_the_tcf_cookie_records_what_the_api_reports(harness: Harness) -> None:
    rejected = harness.run(sites.TCF, "optOut")
    assert rejected.tcf is not None and rejected.tcf["eventStatus"] == "tcloaded"
    assert tcf_purposes(rejected.tcf["tcString"]) == list(sites.TCF.tcf_consent_after_reject)
    accepted = harness.run(sites.TCF, "optIn")
    assert accepted.tcf is not None
    assert tcf_purposes(accepted.tcf["tcString"]) == list(range(1, 11))


def test_without_the_profile_preference_chromium_drops_third_party_cookies(
    harness: Harness,
) -> None:
    """The measured fact the service's docstring builds on: a browser launched the usual
    way (off-the-record contexts of a default profile) keeps only first-party cookies."""
    args = [*CHROMIUM_FLAGS, *harness.args[len(CHROMIUM_FLAGS) :]]
    browser = harness.playwright.chromium.launch(executable_path=chromium_path(), args=args)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://{sites.ONETRUST.domain}:{harness.port}/")
        page.click("#onetrust-accept-btn-handler", timeout=5000)
        page.wait_for_timeout(1500)
        domains = {c["domain"].lstrip(".") for c in context.cookies()}
        assert domains == {sites.ONETRUST.domain}
    finally:
        browser.close()


def test_the_generic_banner_is_accepted_through_its_selector(harness: Harness) -> None:
    site = sites.GENERIC
    seen = harness.run(site, None, heuristic=True, click=site.accept_selector)
    assert seen.cmps("popupFound") == {site.platform}
    assert seen.cookies == set(site.accept)


def test_a_stored_choice_shows_no_banner_on_the_next_page(harness: Harness) -> None:
    """The shop remembers an accept across its pages, as a crawl after accept-all sees it."""
    context = harness.browser.new_context()
    try:
        page = context.new_page()
        base = f"http://{sites.COOKIEBOT.domain}:{harness.port}"
        page.goto(base + "/")
        page.click("#CybotCookiebotDialogBodyButtonAccept", timeout=5000)
        page.goto(base + "/products/desk-lamp")
        page.wait_for_timeout(500)
        assert not page.is_visible("#CybotCookiebotDialog")
        assert page.evaluate("() => Cookiebot.consent.statistics && Cookiebot.hasResponse")
        names = {c["name"] for c in context.cookies()}
        assert {"CookieConsent", "_shop_stats"} <= names
    finally:
        context.close()


# --- the hostile site and the control routes ----------------------------------------------------


def test_the_hostile_site_points_inward(sb: Sandbox) -> None:
    internal = f"http://127.0.0.1:{sb.port + 1}"
    assert get(sb, sites.EVIL, "/").headers["location"] == f"{internal}/admin"
    assert get(sb, sites.EVIL, "/metadata").headers["location"] == sites.METADATA_URL
    assert get(sb, sites.EVIL, "/private").headers["location"] == "http://192.168.0.1/"
    sb.consent.set_internal_port(6553)
    assert get(sb, sites.EVIL, "/").headers["location"] == "http://127.0.0.1:6553/admin"
    page = get(sb, sites.EVIL, "/subresources").text
    assert f'src="{sites.METADATA_URL}"' in page
    assert 'src="http://127.0.0.1:6553/pixel.gif"' in page
    assert sb.consent.hits() == {sites.EVIL: 5}
    sb.reset()
    assert sb.consent.hits() == {}
    assert get(sb, sites.EVIL, "/").headers["location"] == f"{internal}/admin"


def test_the_control_api_lists_the_expected_verdicts(sb: Sandbox) -> None:
    listed = {s["domain"]: s for s in sb.consent.sites()}
    assert list(listed) == [site.domain for site in sites.SITES]
    onetrust = listed[sites.ONETRUST.domain]
    assert onetrust["cookies_before_consent"] == [
        ["news-onetrust.test", "_ga"],
        ["news-onetrust.test", "news_visitor"],
    ]
    assert onetrust["third_party_hosts"]["accept"] == [sites.ADS]
    assert listed[sites.TCF.domain]["tcf_consent_after_reject"] == [1, 3]
    assert listed[sites.DIDOMI.domain]["cookies_after_reject"] == [
        ["cdn-widgets.test", "cw_pref"],
        ["cdn-widgets.test", "cw_session"],
        ["travel-didomi.test", "_fbp"],
    ]
