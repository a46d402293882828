"""The retry policy every retried task uses: Prefect's task retries, configured once.

The seeds each hand-wrote a loop (one reset its delay after reaching the cap and
counted attempts, not time); here a task gets `**retry_policy(...)` and Prefect
does the waiting, the jitter and the bookkeeping, visible as retries in the UI.
"""

from __future__ import annotations

from typing import Any

from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from flows.common.errors import PermanentError


def backoff(first: float, retries: int, cap: float | None = None) -> list[float]:
    """`first`, doubling per retry, never above `cap`: one delay per retry."""
    delays = [first * 2**i for i in range(retries)]
    return delays if cap is None else [min(d, cap) for d in delays]


def retryable(task: Any, task_run: TaskRun, state: State) -> bool:
    """Prefect's retry condition: everything but a `PermanentError` is tried again."""
    return not isinstance(state.data, PermanentError)


def retry_policy(
    retries: int = 3, first_delay: float = 10.0, cap: float | None = None, jitter: float = 0.5
) -> dict[str, Any]:
    """Keyword arguments for `@task(...)` or `task.with_options(...)`.

    Jitter spreads the retries of many runs that failed together (a host that came
    back) so they do not hit it again at the same instant.
    """
    return {
        "retries": retries,
        "retry_delay_seconds": backoff(first_delay, retries, cap),
        "retry_jitter_factor": jitter,
        "retry_condition_fn": retryable,
    }
