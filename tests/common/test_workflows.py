"""The workflow registry: every workflow is found from its own package, and what it
declares is enough for the bootstrap, the demo, the health check and the docs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from prefect.blocks.core import Block
from pydantic import Field, SecretStr
from sqlalchemy import inspect

from blocks.camera import CameraPortal
from flows.common.errors import ConfigError
from flows.common.workflows import BlockSetting, workflows

ROOT = Path(__file__).resolve().parents[2]


def deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_every_workflow_package_is_found_by_its_own_declaration():
    packages = sorted(p.parent.name for p in (ROOT / "flows").glob("*/workflow.py"))
    assert [w.name for w in workflows()] == packages
    assert {"saved_links", "camera", "health"} <= set(packages)


def test_every_deployment_belongs_to_a_workflow_and_has_a_demo_run():
    names = {w.name for w in workflows()}
    demo = {run.deployment for w in workflows() for run in w.demo}
    from prefect.flows import load_flow_arguments_from_entrypoint

    for dep in deployments():
        package = dep["entrypoint"].split("/")[1]
        assert package in names, f"{dep['entrypoint']} is in no workflow package"
        flow_name = load_flow_arguments_from_entrypoint(dep["entrypoint"])["name"]
        assert f"{flow_name}/{dep['name']}" in demo, f"make demo never runs {flow_name}"
    assert len(demo) == len(deployments()), "a demo run names no deployment of prefect.yaml"


def test_every_workflow_has_its_page():
    for workflow in workflows():
        assert (ROOT / workflow.docs).is_file(), f"{workflow.docs} is missing"


def test_the_migrations_create_every_declared_table(app_db):
    tables = set(inspect(app_db).get_table_names())
    for workflow in workflows():
        assert {t.name for t in workflow.tables} <= tables, workflow.name


class Sample(Block):
    _block_type_slug = "sample-for-tests"
    url: str
    token: SecretStr
    streams: list[str] = Field(default_factory=list)
    timeout_seconds: float = 30.0


SAMPLE = BlockSetting(
    "sample",
    Sample,
    {"url": "SAMPLE_URL", "token": "SAMPLE_TOKEN", "streams": "SAMPLE_STREAMS"},
)


def test_a_block_is_filled_from_its_variables_secrets_as_secrets_lists_split():
    block = SAMPLE.from_env(
        {"SAMPLE_URL": "https://x", "SAMPLE_TOKEN": "t0k", "SAMPLE_STREAMS": "a, b,"}
    )
    assert block.url == "https://x"
    assert isinstance(block.token, SecretStr) and block.token.get_secret_value() == "t0k"
    assert block.streams == ["a", "b"]
    assert "t0k" not in repr(block)


def test_a_workflow_with_no_variable_set_is_not_configured():
    assert SAMPLE.from_env({"OTHER": "x", "SAMPLE_URL": ""}) is None


def test_a_required_variable_left_out_is_named():
    with pytest.raises(ConfigError, match=r"'sample'.*set SAMPLE_TOKEN as well"):
        SAMPLE.from_env({"SAMPLE_URL": "https://x"})


def test_a_value_the_block_refuses_is_named_by_its_variable():
    camera = BlockSetting(
        "camera-portal",
        CameraPortal,
        {"base_url": "U", "username": "N", "password": "P", "streams": "S"},
    )
    with pytest.raises(ConfigError, match=r"S: Value error, stream names") as refused:
        camera.from_env({"U": "https://c", "N": "n", "P": "secret-pass", "S": "../etc"})
    assert "secret-pass" not in str(refused.value)
