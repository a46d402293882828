"""The cookies of a pass, as the report keeps them: attributes, party, a value hash.

The value itself is never kept (cookies carry session tokens): only its sha256, so
a scan can still tell a changed value from an unchanged one.

Which cookies need consent. The scanner cannot know what a cookie is for; it uses a
conservative rule and says so in the report (`category`):
- `consent`: the consent platform's own record of the choice (OneTrust's
  `OptanonConsent`, Cookiebot's `CookieConsent`, `euconsent-v2`, `didomi_token`,
  Usercentrics' `uc_*` ...): needed to honour the choice, exempt on any party.
- `essential`: a FIRST-party cookie whose name says session or request-forgery
  protection (`sessionid`, `PHPSESSID`, `csrftoken`, `__Host-...session`...): the
  "strictly necessary" class the ePrivacy rules exempt.
- `tracking`: a known analytics/advertising name (`_ga`, `_fbp`, `IDE`...), or any
  THIRD-party cookie that is not a consent record (a cross-site identifier by
  construction).
- `other`: everything else. It is flagged like `tracking` (needing consent is the
  default; a site that wants a cookie exempt names it as essential).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from flows.cookie_scan.parties import is_third_party, registrable_domain

CONSENT_NAMES = re.compile(
    r"(consent|optanon|cookiebot|didomi|usercentrics|^uc_|cookielaw|cookie_?notice|"
    r"cookie_?policy|cookieyes|cmplz|borlabs|gdpr|^eupubconsent|^_?tcf|^cmp|truste|"
    r"notice_(behavior|gdpr_prefs|preferences)|^cc_cookie|^__cmpcc)",
    re.IGNORECASE,
)
ESSENTIAL_NAMES = re.compile(
    r"^(__(host|secure)-)?("
    r"session(id)?|sess(id)?|sid|phpsessid|jsessionid|asp\.net_sessionid|connect\.sid|"
    r"csrf(token)?|_csrf|xsrf-token|_xsrf|csrf_token|__cf_bm|cf_clearance|awsalb(cors)?|"
    r"__cfruid|load_?balancer|lb"
    r")$",
    re.IGNORECASE,
)
TRACKING_NAMES = re.compile(
    r"^(_ga(_.*)?|_gid|_gat(_.*)?|_gcl_.*|__utm[a-z]|_fbp|_fbc|fr|ide|test_cookie|dsid|"
    r"_hj.*|_uet(sid|vid)|muid|nid|anid|uuid2?|_pin_unauth|personalization_id|"
    r"_tt_.*|_ttp|_scid|ajs_.*|mp_.*|_clck|_clsk|__qca|_pk_(id|ses).*|track.*|ads?_.*|"
    r".*_?(analytics|tracking|tracker|visitor|uid)_?.*)$",
    re.IGNORECASE,
)
NON_ESSENTIAL = frozenset({"tracking", "other"})


@dataclass(frozen=True)
class CookieRecord:
    name: str
    domain: str
    path: str
    expires: datetime | None  # None: a session cookie
    secure: bool
    http_only: bool
    same_site: str | None
    third_party: bool
    value_hash: str
    category: str  # consent | essential | tracking | other

    @property
    def key(self) -> tuple[str, str, str]:
        """A cookie's identity in the browser's jar."""
        return (self.name, self.domain, self.path)

    @property
    def needs_consent(self) -> bool:
        return self.category in NON_ESSENTIAL

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expires"] = self.expires.isoformat() if self.expires else None
        return data


def value_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def categorize(name: str, third_party: bool) -> str:
    if CONSENT_NAMES.search(name):
        return "consent"
    if not third_party and ESSENTIAL_NAMES.match(name):
        return "essential"
    if third_party or TRACKING_NAMES.match(name):
        return "tracking"
    return "other"


def from_browser(cookie: dict[str, Any], site_domain: str) -> CookieRecord:
    """A Playwright cookie (`context.cookies()`) of a scan of `site_domain`."""
    domain = str(cookie.get("domain") or "")
    expires_raw = cookie.get("expires")
    expires = (
        datetime.fromtimestamp(float(expires_raw), UTC)
        if expires_raw is not None and float(expires_raw) > 0
        else None
    )
    third = is_third_party(domain, site_domain)
    name = str(cookie.get("name") or "")
    return CookieRecord(
        name=name,
        domain=domain,
        path=str(cookie.get("path") or "/"),
        expires=expires,
        secure=bool(cookie.get("secure")),
        http_only=bool(cookie.get("httpOnly")),
        same_site=cookie.get("sameSite"),
        third_party=third,
        value_hash=value_hash(str(cookie.get("value") or "")),
        category=categorize(name, third),
    )


def from_browser_all(cookies: list[dict[str, Any]], site_domain: str) -> list[CookieRecord]:
    records = {}
    for cookie in cookies:
        record = from_browser(cookie, site_domain)
        records[record.key] = record
    return sorted(records.values(), key=lambda r: (r.third_party, r.domain, r.name, r.path))


def third_party_hosts(hosts: dict[str, int] | Any, site_domain: str) -> dict[str, int]:
    """Request counts of the hosts outside the site's registrable domain."""
    return {
        host: count
        for host, count in sorted(dict(hosts).items())
        if is_third_party(host, site_domain)
    }


__all__ = [
    "CookieRecord",
    "categorize",
    "from_browser",
    "from_browser_all",
    "registrable_domain",
    "third_party_hosts",
    "value_hash",
]
