"""The app database's migrations build exactly the schema the code declares."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from flows.common.db import alembic_config, metadata, migrate


def test_migrations_match_the_declared_tables(app_db):
    with app_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrations_can_run_twice(app_db):
    migrate(app_db)  # the fixture already migrated once: a second run is a no-op
    assert {"saved_links", "saved_link_media", "alembic_version"} <= set(
        inspect(app_db).get_table_names()
    )


def test_downgrade_to_base_removes_the_tables(app_db):
    with app_db.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert "saved_links" not in inspect(app_db).get_table_names()
