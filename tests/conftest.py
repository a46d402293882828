"""Shared fixtures: the sandbox process (tests/fixtures/sandbox.py), app databases on
SQLite and PostgreSQL, and a Prefect test harness with the project's blocks saved in it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from flows.common.db import engine_from_url, migrate

# The harness server's telemetry writes race the test's own SQLite writes.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

pytest_plugins = ["tests.fixtures.sandbox"]

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL, dropped at the end of the session."""
    name = f"automations_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_pg_schema(pg_url: str) -> Engine:
    """An engine whose search_path is a new schema, so tests never share tables."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = engine_from_url(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return create_engine(
        pg_url, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app_db(request, tmp_path: Path) -> Iterator[Engine]:
    """A migrated app database, on SQLite and on the local PostgreSQL."""
    if request.param == "sqlite":
        engine = engine_from_url(f"sqlite:///{tmp_path / 'app.db'}")
    else:
        engine = _fresh_pg_schema(request.getfixturevalue("pg_database"))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server and database for flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def run_artifacts(prefect_harness):
    """Read back, through the API, the artifacts a flow run (given its final state) created."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    def read(state) -> list:
        async def go():
            async with get_client() as client:
                run_id = state.state_details.flow_run_id
                return await client.read_artifacts(
                    artifact_filter=ArtifactFilter(
                        flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])
                    )
                )

        return asyncio.run(go())

    return read
