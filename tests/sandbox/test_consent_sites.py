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
from infra.sandbox.core.hosts import host_matches, host_path, request_host
from infra.sandbox.services.consent import routes, sites
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


def test_host_patterns_match_exact_names_and_suffixes() -> None:
    assert host_matches("news.test", "NEWS.test")
    assert not host_matches("news.test", "xnews.test")
    assert host_matches("*.test", "a.b.test")
    assert not host_matches("*.test", "test") and not host_matches("*.test", "a.testing")
    assert host_path("consent", "news.test", "/a?b") == "/consent/host/news.test/a?b"
    assert request_host({"headers": [(b"host", b"News.Test:4300")]}) == "news.test"
    assert request_host({"headers": []}) is None


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
        if site.domain not in routes.HANDLERS:
            continue
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
        self.browser = self.persistent.browser
        self.port = port
        self.script = CONTENT_SCRIPT.read_text()
        self.rules = json.loads(FULL_RULES.read_text())["autoconsent"]

    def close(self) -> None:
        self.persistent.close()

    def run(
        self, site: Site, action: str | None, heuristic: bool = False, path: str = "/"
    ) -> PassResult:
        """Load ``path``, let autoconsent do ``action`` (None, optIn, optOut), read cookies."""
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
                    answer = {
                        "type": "initResp",
                        "config": config,
                        "rules": {"autoconsent": self.rules},
                    }
                    frame.evaluate("m => autoconsentReceiveMessage(m)", answer)
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
                if not done and (result.of("popupFound") or result.of("cmpDetected")):
                    break
                page.wait_for_timeout(200)
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


BUILT = set(routes.HANDLERS)  # the sites come in one at a time
RULE_SITES = [s for s in sites.SITES if not s.heuristic_only and s.domain in BUILT]


@pytest.mark.parametrize("site", RULE_SITES, ids=lambda s: s.domain)
def test_autoconsent_finds_the_platform_and_no_interaction_keeps_the_before_cookies(
    harness: Harness, site: Site
) -> None:
    seen = harness.run(site, None)
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
    if site.tcf:
        consents = seen.tcf["purpose"]["consents"]
        assert sorted(int(k) for k, v in consents.items() if v) == list(
            site.tcf_consent_after_reject
        )
