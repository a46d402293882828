"""Control routes of the consent sites, under ``/_sandbox/consent``.

GET  /hits            requests per host name since the last reset ({"news-onetrust.test": 3})
PUT  /internal-port   {"port": n}: the loopback port evil-redirect.test redirects to and loads
                      a subresource from (a test listens there to prove nothing arrived)
GET  /sites           the sites and their expected verdicts (``sites.py``) as JSON
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from infra.sandbox.services.consent import sites
from infra.sandbox.services.consent.state import ConsentState


class InternalPort(BaseModel):
    port: int = Field(ge=1, le=65535)


def build_router(state: ConsentState) -> APIRouter:
    router = APIRouter()

    @router.get("/hits")
    async def hits() -> dict[str, int]:
        return state.hits()

    @router.put("/internal-port")
    async def internal_port(body: InternalPort) -> dict[str, int]:
        state.set_internal_port(body.port)
        return {"port": body.port}

    @router.get("/sites")
    async def list_sites() -> list[dict[str, Any]]:
        return [site_json(site) for site in sites.SITES]

    return router


def site_json(site: sites.Site) -> dict[str, Any]:
    """A site's expectations with sets as sorted lists."""

    def cookies(values: frozenset[sites.Cookie]) -> list[list[str]]:
        return [list(c) for c in sorted(values)]

    return {
        "domain_config_id": site.domain_config_id,
        "domain": site.domain,
        "platform": site.platform,
        "behaviour": site.behaviour,
        "before": cookies(site.before),
        "accept": cookies(site.accept),
        "reject": cookies(site.reject),
        "consent_cookies": cookies(site.consent_cookies),
        "cookies_before_consent": cookies(site.cookies_before_consent),
        "cookies_after_reject": cookies(site.cookies_after_reject),
        "tcf_consent_after_reject": list(site.tcf_consent_after_reject),
        "third_party_hosts": {k: sorted(v) for k, v in site.third_party_hosts.items()},
        "pages": list(site.pages),
        "depth": site.depth,
        "heuristic_only": site.heuristic_only,
        "accept_selector": site.accept_selector,
        "tcf": site.tcf,
        "self_test": site.self_test,
    }
