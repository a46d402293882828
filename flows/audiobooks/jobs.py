"""What every audiobook job does around its own work: the feature flag, the task
record, the run's summary artifact and final state.

The seed registered a job with APScheduler only when its config flag was on; here
every deployment is always scheduled and the flag is a Prefect Variable read when
the run starts, so a user turns a job off in the UI (Variables) without a redeploy,
and the run says so: Completed, "skipped: disabled", in its log and artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, State
from prefect.variables import Variable
from sqlalchemy import Engine

from flows.audiobooks.taskrecords import JobRun
from flows.common.errors import ConfigError

SKIPPED = "skipped: disabled"
# Not a job: the switch for handing wanted books to the download client (off by default).
DOWNLOADS = "downloads"


def flag_name(job: str) -> str:
    """The Prefect Variable that turns a job on or off: `audiobook_<job>_enabled`."""
    return f"audiobook_{job.replace('-', '_')}_enabled"


def parse_flag(name: str, value: object, default: bool) -> bool:
    """A flag's value as users type it in the UI: true/false, yes/no, on/off, 1/0."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"variable {name!r} must be true or false, got {value!r}")


def enabled(job: str, default: bool = True) -> bool:
    name = flag_name(job)
    return parse_flag(name, Variable.get(name, default=None), default)


@dataclass(frozen=True)
class Outcome:
    """What a job's body reports: one line for the state, markdown for the artifact."""

    summary: str
    markdown: str = ""
    data: object = None


def run_job(job: str, engine: Engine, body: Callable[[JobRun], Outcome]) -> State:
    """Run `body` under the job's flag and task record.

    The record is `running` before the body starts, `completed` (with the items the
    body counted) when it returns, and `failed` with the error when it raises; the
    error is raised again so Prefect fails the run and the failure notification fires.
    """
    logger = get_run_logger()
    run = JobRun(
        engine,
        job,
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        scheduled_start=flow_run.scheduled_start_time,
    )
    if not enabled(job):
        run.skip("disabled")
        logger.info("%s: %s (variable %s is false)", job, SKIPPED, flag_name(job))
        create_markdown_artifact(
            key=f"audiobook-{job}",
            markdown=f"## {job}\n\n{SKIPPED}: set the variable `{flag_name(job)}` to true.",
            description=f"audiobook {job}: {SKIPPED}",
        )
        return Completed(message=SKIPPED, data={"skipped": True})
    try:
        outcome = body(run)
    except BaseException as exc:
        run.fail(exc)
        raise
    run.complete()
    counts = f"{run.processed} item(s): {run.succeeded} ok, {run.failed} failed"
    create_markdown_artifact(
        key=f"audiobook-{job}",
        markdown=f"## {job}\n\n{outcome.summary}\n\n{counts}\n\n{outcome.markdown}".rstrip() + "\n",
        description=f"audiobook {job}: {outcome.summary}",
    )
    logger.info("%s: %s (%s)", job, outcome.summary, counts)
    return Completed(message=outcome.summary, data=outcome.data)
