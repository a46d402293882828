"""A domain's consent scan: three passes in fresh browser contexts, then verdicts.

- `before`: load the pages, touch nothing. autoconsent detects the banner but is
  never told to act.
- `accept`: answer the banner with "accept all" (autoconsent's opt-in, or the
  domain's `accept_selector` clicked instead), then load the pages.
- `reject`: answer it with "reject all" (autoconsent's opt-out), then load the pages.

Each pass has its own context behind its own guard proxy (so cookies, request
hosts and refusals are that pass's), waits a fixed settle time after each load and
each consent action (never for network idle: trackers poll forever), and screenshots
the banner before acting. The passes of a scan run at once; a process runs at most
`scanner.max_parallel` scans at once.

Verdicts (`ScanReport.findings`), with the cookie classes of `cookies.py`:
- `cookies_before_consent`: cookies needing consent present after the `before` pass.
- `cookies_after_reject`: cookies needing consent present after the `reject` pass
  (each says whether the accept pass had it too: tracking that ignores the refusal).
- `tcf_consent_after_reject`: the purposes with consent in the page's IAB TCF API
  (`__tcfapi('getTCData', 2, ...)`) after the reject pass; None without a TCF API.
- `third_party_hosts`: per pass, the hosts outside the site's registrable domain that
  the browser talked to.
A page that fails is recorded and the pass goes on; `scan_domain` raises only when
the scan cannot run at all (no browser, no consent engine, a refused start address).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page

from blocks.cookie_scan import CookieScanner
from flows.common.errors import ConfigError
from flows.common.outbound import OutboundPolicy
from flows.cookie_scan import PHASES
from flows.cookie_scan.autoconsent import ConsentOutcome, ConsentSession, load_engine
from flows.cookie_scan.browser_pool import get_pool
from flows.cookie_scan.config import DomainConfig
from flows.cookie_scan.cookies import CookieRecord, from_browser_all, third_party_hosts
from flows.cookie_scan.crawl import CrawlPlan, start_url
from flows.cookie_scan.guard_proxy import GuardProxy, HostMap

log = logging.getLogger(__name__)

# How long a pass waits for autoconsent to find a banner before it screenshots anyway.
POPUP_WAIT_SECONDS = 4.0
# How long autoconsent may take to click through a banner.
ACTION_TIMEOUT_SECONDS = 10.0
TCF_TIMEOUT_MS = 2000
HEURISTIC_MODE = {"before": "tier2", "accept": "tier2", "reject": "reject"}
VIEWPORT = {"width": 1280, "height": 800}

READ_TCF = """
(timeout) => new Promise((resolve) => {
  if (typeof window.__tcfapi !== 'function') { resolve(null); return; }
  const timer = setTimeout(() => resolve({error: 'no answer from __tcfapi'}), timeout);
  try {
    window.__tcfapi('getTCData', 2, (data, ok) => {
      clearTimeout(timer);
      if (!ok || !data) { resolve({error: 'getTCData failed'}); return; }
      const pick = (o) => Object.fromEntries(Object.entries((o && o.consents) || {}));
      resolve({
        cmpId: data.cmpId ?? null, tcfPolicyVersion: data.tcfPolicyVersion ?? null,
        gdprApplies: data.gdprApplies ?? null, eventStatus: data.eventStatus ?? null,
        purposeConsents: pick(data.purpose),
        purposeLegitimateInterests: Object.fromEntries(
          Object.entries((data.purpose && data.purpose.legitimateInterests) || {})),
        vendorConsents: Object.values((data.vendor && data.vendor.consents) || {})
          .filter(Boolean).length,
      });
    });
  } catch (e) { clearTimeout(timer); resolve({error: String(e)}); }
})
"""
LINKS = "() => Array.from(document.links, (a) => a.href).slice(0, 500)"


@dataclass
class PhaseResult:
    phase: str
    pages: list[str] = field(default_factory=list)
    page_errors: list[dict[str, str]] = field(default_factory=list)
    cookies: list[CookieRecord] = field(default_factory=list)
    hosts: dict[str, int] = field(default_factory=dict)  # every host let through
    third_party_hosts: dict[str, int] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)
    consent: ConsentOutcome = field(default_factory=ConsentOutcome)
    tcf: dict[str, Any] | None = None
    screenshot_path: str | None = None
    error: str | None = None  # the pass could not load its start page
    seconds: float = 0.0

    @property
    def consent_platform(self) -> str | None:
        return self.consent.platform


@dataclass
class ScanReport:
    scan_id: str
    domain_config_id: str
    domain: str
    url: str
    status: str  # completed | failed
    started_at: datetime
    completed_at: datetime | None
    consent_platform: str | None
    pages_visited: int
    findings: dict[str, Any]
    phases: dict[str, PhaseResult]
    error: str | None = None
    engine_version: str | None = None

    def summary(self) -> dict[str, Any]:
        """A JSON-able digest (for logs and job metadata): no cookie values, no hashes."""
        return {
            "scan_id": self.scan_id,
            "domain": self.domain,
            "status": self.status,
            "consent_platform": self.consent_platform,
            "pages_visited": self.pages_visited,
            "violations": self.findings.get("violations", []),
            "cookies": {p: len(r.cookies) for p, r in self.phases.items()},
        }


# --- the public entry point --------------------------------------------------------


def scan_domain(
    config: DomainConfig, scanner: CookieScanner, policy: OutboundPolicy, shots_dir: Path
) -> ScanReport:
    """Scan one domain; safe to call from many threads at once (the passes run on the
    process's browser thread). Raises for a scan that cannot run at all."""
    engine = load_engine()  # ConsentEngineMissing before any browser work
    hosts = HostMap.parse(list(scanner.host_map))
    url = start_url(scanner.url_template, config.domain)
    pool = get_pool()
    budget = _scan_budget(config, scanner)
    return pool.run(
        _scan(config, scanner, policy, hosts, url, engine, Path(shots_dir)), timeout=budget
    )


def _scan_budget(config: DomainConfig, scanner: CookieScanner) -> float:
    """An upper bound on one scan (a hung browser must not hang the worker thread):
    every page load, settle and consent wait of one pass, plus queueing for a slot."""
    pages = max(1, config.max_pages if config.allow_deep_scan else 1) + len(config.custom_pages)
    per_page = scanner.navigation_timeout_seconds + scanner.settle_seconds + 5
    one_pass = pages * per_page + POPUP_WAIT_SECONDS + 2 * ACTION_TIMEOUT_SECONDS + 30
    return one_pass * len(PHASES) + 60


def secure_origins(scanner: CookieScanner, hosts: HostMap) -> tuple[str, ...]:
    """The block's `secure_origins`, plus, for a plain-http template, the host map's exact
    names on its port (see browser_pool: cross-site cookies need secure origins)."""
    origins = [str(o).strip() for o in getattr(scanner, "secure_origins", []) or [] if o]
    origins = [o for entry in origins for o in entry.split(",") if o.strip()]
    parts = urlsplit(scanner.url_template.replace("{domain}", "example.invalid"))
    if parts.scheme == "http":
        port = f":{parts.port}" if parts.port else ""
        origins += [f"http://{name}{port}" for name in sorted(hosts.names)]
    for origin in origins:
        if urlsplit(origin).scheme != "http" or not urlsplit(origin).hostname:
            raise ConfigError(f"scanner secure_origins entry {origin!r} is not http://host[:port]")
    return tuple(sorted(set(origins)))


async def _scan(
    config: DomainConfig,
    scanner: CookieScanner,
    policy: OutboundPolicy,
    hosts: HostMap,
    url: str,
    engine,
    shots_dir: Path,
) -> ScanReport:
    started = datetime.now(UTC)
    scan_id = str(uuid.uuid4())
    # The start address itself is checked before any browser work: a refused target
    # is a scan that cannot run, not three failed passes.
    parts = urlsplit(url)
    await GuardProxy(policy, hosts).resolve_checked(
        parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    )
    pool = get_pool()
    browser = await pool.browser(secure_origins(scanner, hosts))
    shot_dir = shots_dir / config.domain_config_id / scan_id
    # At most `max_parallel` scans of this process at once (the block's meaning); the
    # three passes of a scan run together.
    async with pool.slots(scanner.max_parallel):
        results = await asyncio.gather(
            *(
                _run_pass(phase, browser, config, scanner, policy, hosts, url, engine, shot_dir)
                for phase in PHASES
            ),
            return_exceptions=True,
        )
    phases: dict[str, PhaseResult] = {}
    for phase, result in zip(PHASES, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("pass %s of %s failed: %r", phase, config.domain, result)
            result = PhaseResult(phase, error=f"{type(result).__name__}: {result}"[:500])
        phases[phase] = result
    failed = [p for p, r in phases.items() if r.error]
    findings = verdicts(phases, config.domain)
    platform = next((r.consent_platform for r in phases.values() if r.consent_platform), None)
    return ScanReport(
        scan_id=scan_id,
        domain_config_id=config.domain_config_id,
        domain=config.domain,
        url=url,
        status="failed" if failed else "completed",
        started_at=started,
        completed_at=datetime.now(UTC),
        consent_platform=platform,
        pages_visited=max((len(r.pages) for r in phases.values()), default=0),
        findings=findings,
        phases=phases,
        error="; ".join(f"{p}: {phases[p].error}" for p in failed) or None,
        engine_version=engine.version,
    )


# --- one pass ------------------------------------------------------------------------


async def _run_pass(
    phase: str,
    browser: Browser,
    config: DomainConfig,
    scanner: CookieScanner,
    policy: OutboundPolicy,
    hosts: HostMap,
    url: str,
    engine,
    shot_dir: Path,
) -> PhaseResult:
    loop = asyncio.get_running_loop()
    began = loop.time()
    result = PhaseResult(phase)
    proxy = await GuardProxy(policy, hosts).start()
    context: BrowserContext | None = None
    session = ConsentSession(engine, HEURISTIC_MODE[phase])
    try:
        context = await browser.new_context(
            proxy=proxy.playwright_proxy(), viewport=VIEWPORT, service_workers="block"
        )
        context.set_default_timeout(scanner.navigation_timeout_seconds * 1000)
        await session.attach(context)
        page = await context.new_page()
        plan, refused_pages = CrawlPlan.for_config(config, url)
        for bad in refused_pages:
            result.page_errors.append({"url": bad, "error": "custom page is not on this site"})
        first = True
        while (step := plan.next()) is not None:
            page_url, depth = step
            loaded = await _load(page, page_url, scanner, result)
            if first:
                first = False
                if not loaded:
                    result.error = result.page_errors[-1]["error"]
                    break
                await _answer_banner(phase, page, session, config, scanner, result, shot_dir)
                result.tcf = await _read_tcf(page)
            elif loaded:
                await asyncio.sleep(scanner.settle_seconds)
            if loaded:
                result.pages.append(page.url)
                plan.found_links(await _links(page), depth)
        if result.error is None:
            result.tcf = await _read_tcf(page) if result.tcf is None else result.tcf
        result.cookies = from_browser_all(await context.cookies(), config.domain)
    finally:
        if context is not None:
            with contextlib.suppress(Exception):
                await context.close()
        await session.close()
        await proxy.stop()
        result.consent = session.outcome
        result.hosts = dict(sorted(proxy.hosts.items()))
        result.third_party_hosts = third_party_hosts(proxy.hosts, config.domain)
        result.refused = [r.as_dict() for r in proxy.refused]
        result.seconds = round(loop.time() - began, 3)
    return result


async def _load(page: Page, url: str, scanner: CookieScanner, result: PhaseResult) -> bool:
    """Navigate and wait for the document (then the caller settles; never network idle);
    a failure is recorded."""
    try:
        response = await page.goto(
            url, wait_until="domcontentloaded", timeout=scanner.navigation_timeout_seconds * 1000
        )
    except Exception as exc:
        result.page_errors.append({"url": url, "error": str(exc).splitlines()[0][:300]})
        return False
    if response is not None and response.status >= 400:
        result.page_errors.append({"url": url, "error": f"HTTP {response.status}"})
        return False
    return True


async def _answer_banner(
    phase: str,
    page: Page,
    session: ConsentSession,
    config: DomainConfig,
    scanner: CookieScanner,
    result: PhaseResult,
    shot_dir: Path,
) -> None:
    """Wait for the banner, screenshot it, answer it for this pass, let the page settle."""
    await session.wait_for_popup(POPUP_WAIT_SECONDS)
    result.screenshot_path = await _screenshot(page, shot_dir / f"{phase}.jpg")
    if phase == "accept" and config.accept_selector:
        session.outcome.action = "selector"
        session.outcome.action_ok = await _click_selector(page, config.accept_selector)
    elif phase == "accept":
        await session.act("opt-in", ACTION_TIMEOUT_SECONDS)
    elif phase == "reject":
        await session.act("opt-out", ACTION_TIMEOUT_SECONDS)
    await asyncio.sleep(scanner.settle_seconds)


async def _click_selector(page: Page, selector: str) -> bool:
    """The domain's own accept button, in whichever frame has it."""
    for frame in page.frames:
        try:
            locator = frame.locator(selector)
            if await locator.count():
                await locator.first.click(timeout=5000)
                return True
        except Exception as exc:
            log.info("accept selector %r failed in %s: %s", selector, frame.url, exc)
    return False


async def _screenshot(page: Page, path: Path) -> str | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(path), type="jpeg", quality=60, timeout=5000)
        return str(path)
    except Exception as exc:
        log.info("screenshot %s failed: %s", path, exc)
        return None


async def _read_tcf(page: Page) -> dict[str, Any] | None:
    try:
        return await page.evaluate(READ_TCF, TCF_TIMEOUT_MS)
    except Exception as exc:
        return {"error": str(exc).splitlines()[0][:200]}


async def _links(page: Page) -> list[str]:
    try:
        links = await page.evaluate(LINKS)
    except Exception:
        return []
    return [link for link in links if isinstance(link, str)]


# --- verdicts ------------------------------------------------------------------------


def _cookie_brief(cookie: CookieRecord) -> dict[str, Any]:
    return {
        "name": cookie.name,
        "domain": cookie.domain,
        "third_party": cookie.third_party,
        "category": cookie.category,
    }


def tcf_consented_purposes(tcf: dict[str, Any] | None) -> list[int] | None:
    """Purposes with consent in a TCF answer; None when the page has no TCF API."""
    if not tcf or "purposeConsents" not in tcf:
        return None
    return sorted(int(k) for k, v in (tcf.get("purposeConsents") or {}).items() if v is True)


def verdicts(phases: dict[str, PhaseResult], domain: str) -> dict[str, Any]:
    """The findings of a scan from its passes (pure: tested without a browser)."""
    before, accept, reject = (phases.get(p) for p in PHASES)
    findings: dict[str, Any] = {}
    findings["cookies_before_consent"] = (
        [_cookie_brief(c) for c in before.cookies if c.needs_consent]
        if before and not before.error
        else None
    )
    if reject and not reject.error:
        accepted = {c.key for c in accept.cookies} if accept and not accept.error else set()
        findings["cookies_after_reject"] = [
            {**_cookie_brief(c), "also_after_accept": c.key in accepted}
            for c in reject.cookies
            if c.needs_consent
        ]
        purposes = tcf_consented_purposes(reject.tcf)
        findings["tcf_api"] = reject.tcf is not None and "purposeConsents" in (reject.tcf or {})
        findings["tcf_consent_after_reject"] = (
            {"purposes": purposes} if purposes else ([] if purposes is not None else None)
        )
    else:
        findings["cookies_after_reject"] = None
        findings["tcf_api"] = None
        findings["tcf_consent_after_reject"] = None
    findings["third_party_hosts"] = {
        p: sorted(r.third_party_hosts) for p, r in phases.items() if not r.error
    }
    findings["cookies_on_accept_only"] = (
        sorted(
            {c.name for c in accept.cookies if c.needs_consent}
            - {c.name for c in before.cookies}
            - {c.name for c in reject.cookies}
        )
        if accept and before and reject and not (accept.error or before.error or reject.error)
        else None
    )
    findings["consent"] = {
        p: {
            "platform": r.consent.platform,
            "action": r.consent.action,
            "action_ok": r.consent.action_ok,
            "self_test": r.consent.self_test,
        }
        for p, r in phases.items()
    }
    findings["refused_requests"] = sum(len(r.refused) for r in phases.values())
    findings["page_errors"] = [{"phase": p, **e} for p, r in phases.items() for e in r.page_errors]
    findings["violations"] = [
        name
        for name in ("cookies_before_consent", "cookies_after_reject", "tcf_consent_after_reject")
        if findings.get(name)
    ]
    return findings


def phase_dict(result: PhaseResult) -> dict[str, Any]:
    """A pass as plain data (for tests and logs)."""
    data = asdict(result)
    data["cookies"] = [c.as_dict() for c in result.cookies]
    return data
