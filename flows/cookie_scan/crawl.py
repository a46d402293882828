"""Which pages a pass visits.

- The start page: the scanner's `url_template` with the domain filled in.
- The domain's `custom_pages` (paths like `/shop` or full URLs on the same site),
  always, whatever the depth: someone asked for them by name.
- With `allow_deep_scan`, same-site links found on visited pages, breadth first, up
  to `scan_depth` clicks from the start page, until `max_pages` pages (start page
  included; custom pages count too). Without it, no link is followed: the start page
  and the custom pages only.

Same site means the same registrable domain (`shop.news.test` belongs to
`news.test`). Only http(s) is visited; fragments are dropped; links to files that
are not pages (images, archives, PDFs) are skipped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from flows.common.errors import ConfigError
from flows.cookie_scan.config import DomainConfig
from flows.cookie_scan.parties import same_party

NOT_PAGES = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".pdf", ".zip", ".gz",
    ".mp4", ".mp3", ".webm", ".css", ".js", ".json", ".xml", ".woff", ".woff2",
)  # fmt: skip


def start_url(url_template: str, domain: str) -> str:
    """The domain's start page; only http(s) templates are accepted."""
    if "{domain}" not in url_template:
        raise ConfigError(f"scanner url_template {url_template!r} has no '{{domain}}'")
    url = url_template.replace("{domain}", domain)
    check_scheme(url, "scanner url_template")
    return url


def check_scheme(url: str, what: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError(f"{what}: {url!r} is not an http(s) URL")


def normalize(url: str) -> str:
    return urldefrag(url)[0]


def is_page_link(url: str, site_domain: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if not same_party(parts.hostname, site_domain):
        return False
    return not parts.path.lower().endswith(NOT_PAGES)


@dataclass
class CrawlPlan:
    """Breadth-first frontier of one pass; `next()` hands out (url, depth)."""

    site_domain: str
    max_pages: int
    max_depth: int
    follow_links: bool
    queue: deque = field(default_factory=deque)
    seen: set = field(default_factory=set)
    visited: list = field(default_factory=list)

    @classmethod
    def for_config(cls, config: DomainConfig, start: str) -> tuple[CrawlPlan, list[str]]:
        """The plan, and the custom pages that were refused (not http(s) or another site)."""
        custom, refused = [], []
        for page in config.custom_pages:
            url = normalize(urljoin(start, str(page).strip()))
            if is_page_link(url, urlsplit(start).hostname or config.domain):
                custom.append(url)
            else:
                refused.append(str(page))
        deep = bool(config.allow_deep_scan)
        max_pages = max(1, int(config.max_pages)) if deep else 1
        plan = cls(
            site_domain=urlsplit(start).hostname or config.domain,
            max_pages=max(max_pages, 1 + len(custom)),
            max_depth=max(0, int(config.scan_depth)) if deep else 0,
            follow_links=deep,
        )
        plan.add(start, 0)
        for url in custom:
            plan.add(url, 0)
        return plan, refused

    def add(self, url: str, depth: int) -> None:
        url = normalize(url)
        if url not in self.seen:
            self.seen.add(url)
            self.queue.append((url, depth))

    def next(self) -> tuple[str, int] | None:
        if not self.queue or len(self.visited) >= self.max_pages:
            return None
        url, depth = self.queue.popleft()
        self.visited.append(url)
        return url, depth

    def found_links(self, links: list[str], depth: int) -> None:
        """Links found on a page at `depth`; followed when deep scanning allows it."""
        if not self.follow_links or depth >= self.max_depth:
            return
        for link in links:
            if isinstance(link, str) and is_page_link(link, self.site_domain):
                self.add(link, depth + 1)
