"""Prefect global concurrency limits a workflow creates for itself on first use.

A limit a flow holds must exist before it is taken with `strict=True` (Prefect skips a
missing limit otherwise: no limit at all). Creating it on first use keeps it out of the
bootstrap's lists; two runs creating it at once are fine, the loser's create answers
"exists".
"""

from __future__ import annotations

from contextlib import suppress

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.responses import GlobalConcurrencyLimitResponse
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound


def ensure_limit(
    client: SyncPrefectClient, name: str, slots: int
) -> GlobalConcurrencyLimitResponse | None:
    """Create the limit with `slots` when it is missing; the existing one, else None,
    so a caller whose slot count is a rule (not the host's capacity) can put it back."""
    try:
        return client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        with suppress(ObjectAlreadyExists):
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=slots)
            )
        return None
