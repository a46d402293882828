"""The outbound guard of the scanner's browser, with real Chromium and real servers.

Every request the browser makes must pass `OutboundPolicy.check` before a connection
is opened: navigations, each redirect hop, frames, subresources, fetch, websockets.
A refused target must see zero requests.
"""

from __future__ import annotations

import asyncio

import pytest

from flows.common.errors import ConfigError
from flows.common.outbound import OutboundPolicy, OutboundRefused
from flows.cookie_scan.browser_pool import get_pool
from flows.cookie_scan.guard_proxy import GuardProxy, HostMap, _split_host_port
from tests.cookie_scan.local_sites import Site, html, redirect


@pytest.fixture
def servers():
    """`site`: the allowed server (several host names); `inside`: a loopback server on
    another port, standing in for an internal service nobody may reach."""
    site, inside = Site().start(), Site().start()
    inside.pages["/"] = lambda s, h: html("secret")
    inside.pages["/x"] = lambda s, h: html("secret")
    yield site, inside
    site.stop()
    inside.stop()


def policy_for(site: Site) -> OutboundPolicy:
    return OutboundPolicy.parse([f"127.0.0.1:{site.port}"])


def browse(site: Site, url: str, settle: float = 0.5, policy: OutboundPolicy | None = None):
    """Open `url` in a fresh context behind a fresh guard; (status or error, proxy)."""

    async def go():
        hosts = HostMap.parse(["*.test=127.0.0.1"])
        proxy = await GuardProxy(policy or policy_for(site), hosts).start()
        browser = await get_pool().browser()
        context = await browser.new_context(proxy=proxy.playwright_proxy())
        try:
            page = await context.new_page()
            try:
                response = await page.goto(url, timeout=10_000)
                outcome = response.status if response else None
            except Exception as exc:  # a refused navigation is an error page
                outcome = str(exc).splitlines()[0]
            await page.wait_for_timeout(settle * 1000)
            return outcome, proxy
        finally:
            await context.close()
            await proxy.stop()

    return get_pool().run(go(), timeout=60)


def test_allowed_sandbox_host_works_and_loopback_goes_through_the_guard(servers):
    site, inside = servers
    site.pages[("site.test", "/")] = lambda s, h: html("hello")
    status, proxy = browse(site, site.url("site.test"))
    assert status == 200
    assert proxy.hosts["site.test"] >= 1
    # A page request to 127.0.0.1 itself is proxied too (no direct loopback bypass):
    # the guard saw it and let the allowed port through...
    status, proxy = browse(site, f"http://127.0.0.1:{site.port}/")
    assert proxy.hosts["127.0.0.1"] >= 1
    # ... and refused another port, which got nothing.
    status, proxy = browse(site, f"http://127.0.0.1:{inside.port}/")
    assert status == 403
    assert {r.host for r in proxy.refused} == {"127.0.0.1"}
    assert "loopback" in proxy.refused[0].reason
    assert inside.requests["*"] == 0


def test_redirect_hops_to_loopback_and_metadata_are_refused_at_the_hop(servers):
    site, inside = servers
    site.pages[("a.test", "/to-inside")] = lambda s, h: redirect(f"http://127.0.0.1:{inside.port}/")
    site.pages[("a.test", "/to-metadata")] = lambda s, h: redirect(
        "http://169.254.169.254/latest/meta-data/"
    )
    site.pages[("a.test", "/hop")] = lambda s, h: redirect(s.url("b.test", "/to-inside-2"))
    site.pages[("b.test", "/to-inside-2")] = lambda s, h: redirect(
        f"http://localhost.test:{inside.port}/x"
    )

    status, proxy = browse(site, site.url("a.test", "/to-inside"))
    assert status == 403
    assert {(r.host, r.port) for r in proxy.refused} == {("127.0.0.1", inside.port)}

    status, proxy = browse(site, site.url("a.test", "/to-metadata"))
    assert {(r.host, r.port) for r in proxy.refused} == {("169.254.169.254", 80)}
    assert "link-local" in proxy.refused[0].reason

    # Two hops, the second through a mapped name on a port nobody allowed.
    status, proxy = browse(site, site.url("a.test", "/hop"))
    assert {(r.host, r.port) for r in proxy.refused} == {("localhost.test", inside.port)}
    assert proxy.hosts["a.test"] >= 1 and proxy.hosts["b.test"] >= 1
    assert inside.requests["*"] == 0


def test_subresources_frames_fetch_and_websockets_to_private_addresses_are_refused(servers):
    site, inside = servers
    p = inside.port
    site.pages[("a.test", "/")] = lambda s, h: html(
        f'<img src="http://127.0.0.1:{p}/x">'
        f'<iframe src="http://169.254.169.254/"></iframe>'
        f'<iframe src="http://frames.test:{p}/x"></iframe>'
        f'<script>fetch("http://10.1.2.3/x").catch(() => 0);'
        f'fetch("http://127.0.0.1:{p}/x", {{mode: "no-cors"}}).catch(() => 0);'
        f'new WebSocket("ws://127.0.0.1:{p}/x");'
        f'new WebSocket("wss://192.168.1.1/x");</script>'
    )
    status, proxy = browse(site, site.url("a.test"), settle=1.5)
    assert status == 200
    refused = {(r.host, r.port) for r in proxy.refused}
    assert {
        ("127.0.0.1", p),
        ("169.254.169.254", 80),
        ("frames.test", p),
        ("10.1.2.3", 80),
        ("192.168.1.1", 443),
    } <= refused
    assert inside.requests["*"] == 0


@pytest.mark.parametrize(
    "spelling",
    ["2130706433", "0x7f000001", "0x7f.0.0.1", "127.1", "0177.0.0.1", "[::ffff:127.0.0.1]"],
)
def test_ip_literal_spellings_of_loopback_are_refused(servers, spelling):
    site, inside = servers
    _status, proxy = browse(site, f"http://{spelling}:{inside.port}/x", settle=0.1)
    assert proxy.refused, f"{spelling} was not refused"
    assert all("loopback" in r.reason for r in proxy.refused)
    assert inside.requests["*"] == 0


def test_a_mapped_name_is_still_checked_and_an_unresolvable_name_refused(servers):
    site, _ = servers
    proxy = GuardProxy(OutboundPolicy(), HostMap.parse(["*.test=127.0.0.1", "x.example=10.0.0.1"]))

    async def check(host, port):
        return await proxy.resolve_checked(host, port)

    run = get_pool().run
    with pytest.raises(OutboundRefused, match="loopback"):
        run(check("news.test", site.port))
    with pytest.raises(OutboundRefused, match="private"):
        run(check("x.example", 80))
    with pytest.raises(OutboundRefused, match="does not resolve"):
        run(check("no-such-host.invalid", 80))
    allowed = GuardProxy(policy_for(site), HostMap.parse(["*.test=127.0.0.1"]))
    assert get_pool().run(allowed.resolve_checked("news.test", site.port)) == ["127.0.0.1"]


def test_host_map_parsing():
    hosts = HostMap.parse(["*.test=127.0.0.1", "a.b.test=10.0.0.2, x.example=::1"])
    assert hosts.lookup("news.test") == "127.0.0.1"
    assert hosts.lookup("NEWS.TEST.") == "127.0.0.1"
    assert hosts.lookup("a.b.test") == "10.0.0.2"
    assert hosts.lookup("x.example") == "::1"
    assert hosts.lookup("example.com") is None
    assert hosts.names == ("a.b.test", "x.example")
    with pytest.raises(ConfigError, match=r"'news\.test'"):
        HostMap.parse(["news.test"])
    with pytest.raises(ConfigError, match="not-an-ip"):
        HostMap.parse(["news.test=not-an-ip"])


def test_split_host_port():
    assert _split_host_port("a.test:8080", 80) == ("a.test", 8080)
    assert _split_host_port("a.test", 443) == ("a.test", 443)
    assert _split_host_port("[::1]:99", 80) == ("::1", 99)
    assert _split_host_port("a.test:99999", 80) == (None, 0)
    assert _split_host_port("a.test:x", 80) == (None, 0)


def test_the_pool_is_one_browser_for_the_process():
    pool = get_pool()

    async def two():
        return await pool.browser(), await pool.browser()

    first, second = pool.run(two())
    assert first is second
    assert asyncio.iscoroutinefunction(pool.browser)


def test_the_browser_keeps_playwrights_disabled_features_and_adds_its_own():
    from flows.cookie_scan import browser_pool

    pool = get_pool()
    pool.run(pool.browser())
    entry = next(iter(pool._browsers.values()))
    argv = browser_pool._browser_cmdline(entry.user_data_dir)
    disabled = [a for a in argv if a.startswith("--disable-features=")]
    assert len(disabled) == 1  # one list: a second would replace the first
    features = disabled[0].split("=", 1)[1].split(",")
    assert "ThirdPartyStoragePartitioning" in features  # Playwright's
    assert "WebUIOmniboxPopup" in features  # ours
