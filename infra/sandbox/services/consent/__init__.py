"""Consent sites for the cookie scanner: banners of the common consent platforms, served
under their own host names so first and third party are real.

What a client (the scanner) must do to scan them
-------------------------------------------------
- **Host map**: resolve every ``*.test`` name to 127.0.0.1 (Chromium:
  ``--host-resolver-rules=MAP *.test 127.0.0.1``; the seed's ``COOKIE_SCAN_HOST_MAP`` is
  ``*.test=127.0.0.1``). The sandbox's port stays in the URL.
- **URL template**: ``http://{domain}:<sandbox port>/`` (the seed's
  ``COOKIE_SCAN_URL_TEMPLATE``). Plain http, one port for every site: the core's host
  routing sends a request with ``Host: news-onetrust.test:<port>`` to
  ``/consent/host/news-onetrust.test/...``; requests to ``127.0.0.1:<port>`` are unaffected.
- **Secure origins** (for third-party cookies): third-party cookies need
  ``SameSite=None; Secure``, and Chromium refuses Secure cookies from plain http unless the
  origin is listed in ``--unsafely-treat-insecure-origin-as-secure=<origin>,<origin>...``
  (exact origins; wildcards are not honoured). The seed returns that list as
  ``COOKIE_SCAN_SECURE_ORIGINS`` (comma-separated ``http://<host>:<port>``), also
  ``sites.secure_origins(port)``. Without it the first-party verdicts hold, but no
  third-party cookie appears.
- **Third-party cookies allowed**: Debian's Chromium (156) blocks them by default in every
  profile (pref ``profile.cookie_controls_mode`` = 1), and Playwright's ``new_context()``
  inherits it. What works, measured: ``launch_persistent_context(user_data_dir, ...)`` on a
  fresh directory whose ``Default/Preferences`` file holds
  ``{"profile": {"cookie_controls_mode": 0}}``, then ``context.browser.new_context()`` for
  each fresh pass context (off-the-record contexts inherit the profile's pref). The CDP
  ``Network.setCookieControls`` command and ``--disable-features`` switches do not help.
- **autoconsent**: full rule set (``rules/rules.json``); ``heuristicMode`` (e.g. "reject")
  on for blog-generic.test, whose banner no rule knows; autoconsent cannot opt in through a
  heuristic, so its accept pass uses the site's ``accept_selector`` from ``sites.py``.
  Answer each frame's ``init`` with the rules as source text
  (``frame.evaluate("autoconsentReceiveMessage({...})")``): as an ``evaluate`` argument the
  700 kB rule set takes Playwright about 3 s per frame. On a page no rule matches,
  autoconsent waits up to a minute for a DOM change before reporting ``nothingDetected``:
  wait a fixed settle time, not for that message.
- **Tests**: ``tests/sandbox/test_consent_sites.py`` does all of the above in a small
  harness; ``sb.consent.site_url(domain)`` builds a site's URL, and the request log shows a
  site's requests as ``/consent/host/<host>/<path>``.

What there is (expected verdicts per pass: ``sites.py``)
--------------------------------------------------------
news-onetrust.test (OneTrust), shop-cookiebot.test (Cookiebot, 3 pages), travel-didomi.test
(Didomi, ignores reject), bank-usercentrics.test (Usercentrics), magazine-tcf.test (Quantcast
Choice, TCF v2 ``__tcfapi``, consent recorded after reject), blog-generic.test (generic
banner); third parties ads-tracker.test (script + pixel) and cdn-widgets.test (a cross-site
iframe setting cookies); and evil-redirect.test, a hostile site whose ``/`` redirects to a
loopback port, ``/metadata`` to 169.254.169.254, and ``/subresources`` loads from both
(the loopback port: ``PUT /_sandbox/consent/internal-port``, default sandbox port + 1).
``GET /_sandbox/consent/hits`` counts requests per host.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import APIRouter

from infra.sandbox.core.service import Core, Seeded, Service
from infra.sandbox.services.consent import control, routes, sites
from infra.sandbox.services.consent.client import ConsentClient
from infra.sandbox.services.consent.state import ConsentState


class ConsentService(Service):
    """Stateless pages (the browser keeps the cookies); counts requests per host."""

    name = "consent"
    client = ConsentClient
    seed_names = frozenset({"demo"})

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.port = urlsplit(self.sandbox_url).port or 80
        self.state = ConsentState(self.lock, default_internal_port=self.port + 1)

    def hosts(self) -> Sequence[str]:
        return sites.HOSTS

    def routes(self) -> APIRouter:
        return routes.build_router(self.state)

    def control_routes(self) -> APIRouter:
        return control.build_router(self.state)

    def reset(self) -> None:
        self.state.reset()

    def seed(self, name: str) -> Seeded:
        """The scanner's settings for these sites, and every site's expected verdicts."""
        return Seeded(
            env={
                "COOKIE_SCAN_URL_TEMPLATE": f"http://{{domain}}:{self.port}/",
                "COOKIE_SCAN_HOST_MAP": "*.test=127.0.0.1",
                "COOKIE_SCAN_SECURE_ORIGINS": ",".join(sites.secure_origins(self.port)),
            },
            data={"sites": [control.site_json(site) for site in sites.SITES]},
        )


SERVICE = ConsentService
