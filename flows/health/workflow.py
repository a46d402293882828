"""The health check as the shared machinery sees it (`flows.common.workflows`)."""

from __future__ import annotations

from flows.common.workflows import DemoRun, Workflow

WORKFLOW = Workflow(
    name="health",
    title="Health check",
    # It reports on what the other runs did, so it starts once they have all ended.
    demo=(DemoRun("health-check/every-5-minutes", phase=9),),
)
