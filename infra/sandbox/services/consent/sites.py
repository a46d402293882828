"""The consent sites the sandbox serves, and what a correct scanner reports for each.

One module, so the scanner's tests assert against the same facts the sites are built from.
Verdict vocabulary (per site):

- ``platform``: the consent platform as autoconsent 16.23.0 names it (``cmpDetected``), with
  the full rule set; ``HEURISTIC-REJECT`` for the generic banner, found only with
  ``heuristicMode`` on.
- ``before`` / ``accept`` / ``reject``: every cookie present after that pass, as
  ``(domain, name)`` (the domain without a leading dot, as Chromium's cookie jar reports it).
- ``consent_cookies``: the ones that only record the visitor's choice (the CMP's own state);
  ``cookies_before_consent`` and ``cookies_after_reject`` are the others, i.e. what a scanner
  should flag.
- ``tcf_consent_after_reject``: purposes ``__tcfapi('getTCData')`` reports consented after
  the reject pass (empty when the page has no TCF API or recorded no consent).
- ``third_party_hosts``: hosts of another registrable domain the page requests, per pass.
- ``pages``: the same-site pages a crawl from ``/`` finds within ``depth``.
- ``self_test``: autoconsent's self-test after opting out (``selfTest`` message answered with
  ``selfTestResult``): True passes, None when the rule has none. It checks what the CMP
  recorded, not the cookies: travel-didomi.test passes it and still ignores the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.sandbox.services.consent.pages import TCF_PURPOSES_AFTER_REJECT

Cookie = tuple[str, str]  # (domain, name)

ADS = "ads-tracker.test"
WIDGETS = "cdn-widgets.test"
EVIL = "evil-redirect.test"
#: The metadata address the hostile page loads a subresource from.
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@dataclass(frozen=True)
class Site:
    """One consent site and the verdicts a correct scan of it reports."""

    domain_config_id: str
    domain: str
    platform: str
    #: What the banner does, in words (for docs and failure messages).
    behaviour: str
    before: frozenset[Cookie]
    accept: frozenset[Cookie]
    reject: frozenset[Cookie]
    consent_cookies: frozenset[Cookie] = frozenset()
    tcf_consent_after_reject: tuple[int, ...] = ()
    #: Per pass (before, accept, reject): third-party hosts the page requests.
    third_party_hosts: dict[str, frozenset[str]] = field(default_factory=dict)
    pages: tuple[str, ...] = ("/",)
    depth: int = 0
    #: Only autoconsent's heuristics find the banner (no rule matches it).
    heuristic_only: bool = False
    #: A CSS selector clicking "accept" (for banners autoconsent cannot opt in to).
    accept_selector: str | None = None
    #: The site's TCF API (``__tcfapi``) is present.
    tcf: bool = False
    #: autoconsent's self-test after opting out: True passes, None when the rule has none.
    self_test: bool | None = True

    @property
    def cookies_before_consent(self) -> frozenset[Cookie]:
        """What a scanner flags as set before any interaction."""
        return self.before - self.consent_cookies

    @property
    def cookies_after_reject(self) -> frozenset[Cookie]:
        """What a scanner flags as surviving reject-all."""
        return self.reject - self.consent_cookies

    def third_party_cookies(self, phase: str) -> frozenset[Cookie]:
        """Cookies of that pass whose domain is another site's."""
        cookies = {"before": self.before, "accept": self.accept, "reject": self.reject}[phase]
        return frozenset(c for c in cookies if c[0] != self.domain)


def _c(domain: str, *names: str) -> frozenset[Cookie]:
    return frozenset((domain, name) for name in names)


_ONETRUST_STATE = ("OptanonConsent", "OptanonAlertBoxClosed")
ONETRUST = Site(
    domain_config_id="demo-onetrust",
    domain="news-onetrust.test",
    platform="Onetrust",
    behaviour="sets analytics cookies before consent; ads-tracker.test sets one after accept",
    before=_c("news-onetrust.test", "news_visitor", "_ga"),
    accept=_c("news-onetrust.test", "news_visitor", "_ga", *_ONETRUST_STATE) | _c(ADS, "_atid"),
    reject=_c("news-onetrust.test", "news_visitor", "_ga", *_ONETRUST_STATE),
    consent_cookies=_c("news-onetrust.test", "OptanonConsent", "OptanonAlertBoxClosed"),
    third_party_hosts={
        "before": frozenset(),
        "accept": frozenset({ADS}),
        "reject": frozenset(),
    },
)

COOKIEBOT = Site(
    domain_config_id="demo-cookiebot",
    domain="shop-cookiebot.test",
    platform="Cybotcookiebot",
    behaviour="compliant; three pages to crawl (depth 2)",
    before=frozenset(),
    accept=_c("shop-cookiebot.test", "CookieConsent", "_shop_stats"),
    reject=_c("shop-cookiebot.test", "CookieConsent"),
    consent_cookies=_c("shop-cookiebot.test", "CookieConsent"),
    third_party_hosts={"before": frozenset(), "accept": frozenset(), "reject": frozenset()},
    pages=("/", "/products", "/products/desk-lamp"),
    depth=2,
)

DIDOMI = Site(
    domain_config_id="demo-didomi",
    domain="travel-didomi.test",
    platform="didomi",
    behaviour="tracking cookies survive reject-all (it ignores the choice); a cross-site "
    "widget frame sets a cookie before consent",
    before=_c(WIDGETS, "cw_session", "cw_pref"),
    accept=_c("travel-didomi.test", "didomi_token", "euconsent-v2", "_fbp")
    | _c(WIDGETS, "cw_session", "cw_pref"),
    reject=_c("travel-didomi.test", "didomi_token", "euconsent-v2", "_fbp")
    | _c(WIDGETS, "cw_session", "cw_pref"),
    consent_cookies=_c("travel-didomi.test", "didomi_token", "euconsent-v2"),
    third_party_hosts={
        "before": frozenset({WIDGETS}),
        "accept": frozenset({WIDGETS}),
        "reject": frozenset({WIDGETS}),
    },
)

USERCENTRICS = Site(
    domain_config_id="demo-usercentrics",
    domain="bank-usercentrics.test",
    platform="usercentrics-api",
    behaviour="compliant; the choice is kept in localStorage, not in a cookie",
    before=frozenset(),
    accept=_c("bank-usercentrics.test", "_bank_analytics"),
    reject=frozenset(),
    third_party_hosts={"before": frozenset(), "accept": frozenset(), "reject": frozenset()},
)

TCF = Site(
    domain_config_id="demo-tcf",
    domain="magazine-tcf.test",
    platform="quantcast",
    behaviour="a TCF v2 CMP (__tcfapi) that records consent to purposes 1 and 3 after reject",
    before=frozenset(),
    accept=_c("magazine-tcf.test", "euconsent-v2", "addtl_consent", "_mag_ads"),
    reject=_c("magazine-tcf.test", "euconsent-v2", "addtl_consent"),
    consent_cookies=_c("magazine-tcf.test", "euconsent-v2", "addtl_consent"),
    tcf_consent_after_reject=TCF_PURPOSES_AFTER_REJECT,
    third_party_hosts={"before": frozenset(), "accept": frozenset(), "reject": frozenset()},
    tcf=True,
    self_test=None,  # the quantcast rule has no test step
)

GENERIC = Site(
    domain_config_id="demo-generic",
    domain="blog-generic.test",
    platform="HEURISTIC-REJECT",
    behaviour="a home-made banner no rule knows; sets a cookie on accept only",
    before=frozenset(),
    accept=_c("blog-generic.test", "blog_consent", "_blog_stats"),
    reject=_c("blog-generic.test", "blog_consent"),
    consent_cookies=_c("blog-generic.test", "blog_consent"),
    third_party_hosts={"before": frozenset(), "accept": frozenset(), "reject": frozenset()},
    heuristic_only=True,
    accept_selector="#bn-notice .bn-yes",
)

#: Every consent site, in the order of the agreed table.
SITES: tuple[Site, ...] = (ONETRUST, COOKIEBOT, DIDOMI, USERCENTRICS, TCF, GENERIC)
BY_DOMAIN: dict[str, Site] = {site.domain: site for site in SITES}
THIRD_PARTY_HOSTS: tuple[str, ...] = (ADS, WIDGETS)
#: Every host name the consent service answers.
HOSTS: tuple[str, ...] = (*BY_DOMAIN, *THIRD_PARTY_HOSTS, EVIL)


def secure_origins(port: int) -> list[str]:
    """The origins Chromium must treat as secure for the sites' cookies to behave as on HTTPS.

    Third-party cookies need ``SameSite=None; Secure``, and Chromium refuses a Secure cookie
    from plain http unless the origin is listed in ``--unsafely-treat-insecure-origin-as-
    secure`` (which takes exact origins, no wildcards).
    """
    return [f"http://{host}:{port}" for host in HOSTS]
