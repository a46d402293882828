"""The seed's limits: checked for prefect.yaml by this test and by `prefect deploy`."""

from pathlib import Path

import pytest
import yaml

from flows.camera.cleanup import CleanupPolicy
from flows.camera.config import check_download_deployment
from flows.common.errors import ConfigError

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def deployment(entrypoint: str) -> dict:
    config = yaml.safe_load(PREFECT_YAML.read_text())
    (found,) = [d for d in config["deployments"] if d["entrypoint"] == entrypoint]
    return found


def test_the_camera_download_deployment_in_prefect_yaml_passes_its_own_check():
    dep = deployment("flows/camera/flow.py:camera_download")
    assert dep["name"] == "every-10-minutes"
    assert [s["interval"] for s in dep["schedules"]] == [600]
    assert dep["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    check_download_deployment(dep["schedules"], dep["parameters"])


def test_the_deploy_step_is_handed_the_deployments_own_schedules_and_parameters():
    dep = deployment("flows/camera/flow.py:camera_download")
    (step,) = dep["build"]
    inputs = step["flows.camera.config.check_download_deployment"]
    assert inputs == {"schedules": dep["schedules"], "parameters": dep["parameters"]}


def test_cleanup_keeps_30_days_and_health_runs_every_5_minutes():
    cleanup = deployment("flows/camera/flow.py:camera_cleanup")
    health = deployment("flows/health/flow.py:health_check")
    assert cleanup["parameters"]["retention_days"] == 30
    CleanupPolicy(retention_days=cleanup["parameters"]["retention_days"]).validate()
    assert [s["interval"] for s in health["schedules"]] == [300]
    for dep in (cleanup, health):
        assert all({"timezone", "active", "slug"} <= set(s) for s in dep["schedules"])


@pytest.mark.parametrize(
    "schedule",
    [
        {"interval": 120, "slug": "too-often"},
        {"cron": "*/2 * * * *", "slug": "too-often"},
        {"cron": "0,3 8 * * *", "slug": "too-often"},  # 3 minutes apart once a day
    ],
)
def test_a_schedule_under_5_minutes_is_refused_by_name(schedule):
    with pytest.raises(ConfigError, match=r"'too-often'.*at least 5 minutes"):
        check_download_deployment([schedule], {})


def test_schedules_of_5_minutes_or_more_pass():
    check_download_deployment(
        [{"interval": 300}, {"cron": "*/5 * * * *"}, {"cron": "0 4 1 * *"}], {"batch_size": 1000}
    )


def test_a_cron_that_does_not_parse_is_named():
    with pytest.raises(ConfigError, match="does not parse"):
        check_download_deployment([{"cron": "every ten minutes"}], {})


@pytest.mark.parametrize(
    ("size", "limit"),
    [
        (0, "greater than or equal to 1"),
        (1001, "less than or equal to 1000"),
        (-5, "greater than or equal to 1"),
    ],
)
def test_batch_size_outside_1_to_1000_is_refused_at_deploy_by_the_flows_own_limits(size, limit):
    with pytest.raises(ConfigError, match=f"batch_size: Input should be {limit}"):
        check_download_deployment([{"interval": 600}], {"batch_size": size})


def test_an_unknown_parameter_is_refused_at_deploy():
    with pytest.raises(ConfigError, match="batch_sise"):
        check_download_deployment([{"interval": 600}], {"batch_sise": 10})


def test_retention_under_a_day_is_refused():
    with pytest.raises(
        ValueError, match=r"retention_days: .* greater than or equal to 1, not 0\.5"
    ):
        CleanupPolicy(retention_days=0.5).validate()
