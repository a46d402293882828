"""First or third party, by registrable domain (the public suffix list).

`a.news.test` and `news.test` are one party; `ads-tracker.test` is another. The
registrable domain is the public suffix plus one label, by the `publicsuffixlist`
package, which applies the list's default rule (`*`) to suffixes the list does not
know: test names such as `.test` get a registrable domain instead of none.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_psl = PublicSuffixList()


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str | None:
    """`www.news.co.uk` -> `news.co.uk`; an IP address is its own party; None for a
    bare public suffix (`co.uk`) or an empty name."""
    host = host.strip().strip("[]").lower().lstrip(".").rstrip(".")
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return _psl.privatesuffix(host)


def same_party(host: str, site_domain: str) -> bool:
    """Whether `host` belongs to the site whose registrable domain is `site_domain`."""
    own = registrable_domain(host)
    return own is not None and own == registrable_domain(site_domain)


def is_third_party(host: str, site_domain: str) -> bool:
    """A cookie's domain (leading dot allowed) or a request's host, against the site."""
    return not same_party(host, site_domain)
