"""`prefect deploy --all` after the reconcile (a user redeploying because they edited
another deployment in prefect.yaml) must neither delete nor reset the domain schedules
nor re-activate one a user paused.

Why it holds, in Prefect 3.9.1: `cookie-scan/per-domain` has no `schedules` key in
prefect.yaml, so `prefect --no-prompt deploy` passes `schedules=None`, the deployment
update leaves `schedules` out of its PATCH and the server keeps the schedule rows
(ids, slugs, `active`, parameters) untouched. What the server does on every deployment
update is delete the *future auto-scheduled runs* of the deployment; its scheduler makes
them again from the same schedules (a paused one gets none). `schedules: []` would also
keep them today, with a deprecation warning: a later Prefect clears them, so the yaml
must keep the key out (or say `schedules: null`).

Runs against the live stack (real `prefect server start`, the real prefect.yaml).
"""

from __future__ import annotations

import contextlib
import uuid

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import create_engine

from flows.cookie_scan import SCAN_DEPLOYMENT
from flows.cookie_scan.reconcile import reconcile
from flows.cookie_scan.schedules import ScheduleError, add, delete_schedule
from infra.sandbox.services.cookieapi.seeds import entry

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack-a")]


def snapshot(client) -> dict:
    found = client.read_deployment_by_name(SCAN_DEPLOYMENT).schedules
    return {
        s.slug: (s.id, s.active, s.schedule.model_dump(), s.parameters)
        for s in found
        if s.slug and s.slug.startswith("domain-")
    }


def test_a_redeploy_keeps_reconciled_and_paused_schedules(live) -> None:
    engine = create_engine(live.pg_url)
    tag = uuid.uuid4().hex[:6]
    ids = [f"redeploy-{tag}-{n}" for n in range(3)]
    requests: list[str] = []

    def hook(request: httpx.Request) -> None:
        requests.append(f"{request.method} {request.url.path}")

    with temporary_settings(updates={PREFECT_API_URL: live.stack.api_url}):
        settings = {"event_hooks": {"request": [hook]}}
        with get_client(sync_client=True, httpx_settings=settings) as client:
            try:
                with engine.begin() as conn:
                    for n, config_id in enumerate(ids):
                        add(conn, entry(config_id, f"site{n}.{tag}.example", "daily", {"hour": n}))
                assert reconcile(engine, client).created == 3
                dep = client.read_deployment_by_name(SCAN_DEPLOYMENT)
                paused = next(s for s in dep.schedules if s.slug == f"domain-{ids[0]}")
                client.update_deployment_schedule(dep.id, paused.id, active=False)  # the UI
                # (3.9.1's server empties a schedule's parameters on any PATCH that leaves
                # them out, a pause included: the reconcile puts them back, still paused)
                assert reconcile(engine, client).updated == 1
                before = snapshot(client)
                assert before[f"domain-{ids[0]}"][3] == {"domain_config_id": ids[0]}
                assert before[f"domain-{ids[0]}"][1] is False

                live.stack.prefect("--no-prompt", "deploy", "--all")

                after = snapshot(client)
                assert after == before, "same ids, active flags, crons and parameters"
                requests.clear()
                again = reconcile(engine, client)
                assert [r for r in requests if not r.startswith("GET")] == []
                assert again.unchanged >= 3
                assert snapshot(client)[f"domain-{ids[0]}"][1] is False, "still paused"
            finally:
                with engine.begin() as conn:
                    for config_id in ids:
                        with contextlib.suppress(ScheduleError):
                            delete_schedule(conn, config_id)
                reconcile(engine, client)
    engine.dispose()
