"""The bootstrap builds each workflow's block from the variables it declares."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deployments.bootstrap import blocks_from
from flows.common.errors import ConfigError

NOTION = {"NOTION_TOKEN": "ntn_x", "NOTION_DATABASE_ID": "db"}


def test_a_configured_workflow_is_saved_and_the_others_are_named():
    blocks, skipped = blocks_from(NOTION)
    assert set(blocks) == {"saved-links", "app-db"}
    assert blocks["saved-links"].token.get_secret_value() == "ntn_x"
    assert any("'camera-portal' not saved" in line and "CAMERA_URL" in line for line in skipped)


def test_the_app_database_is_sqlite_by_default_and_postgresql_by_url():
    blocks, _ = blocks_from(NOTION)
    assert blocks["app-db"].connection_info.driver == "sqlite+pysqlite"
    blocks, _ = blocks_from({**NOTION, "APP_DB_URL": "postgresql://u:pw@db:5432/app"})
    info = blocks["app-db"].connection_info
    assert (info.driver, info.host, info.password.get_secret_value()) == (
        "postgresql+psycopg",
        "db",
        "pw",
    )


def test_nothing_configured_is_an_error_that_lists_every_workflows_variables():
    with pytest.raises(ConfigError, match="no workflow is configured") as refused:
        blocks_from({})
    assert "NOTION_TOKEN" in str(refused.value) and "CAMERA_URL" in str(refused.value)


def test_the_bootstrap_and_the_health_check_load_no_browser_and_no_media_library():
    code = (
        "import sys, deployments.bootstrap, flows.health.flow;"
        "from flows.common.workflows import workflows; workflows();"
        "print(sorted(m for m in ('playwright', 'yt_dlp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
