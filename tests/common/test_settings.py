"""Control-plane settings: checked when the bootstrap reads them, kept as Prefect variables."""

from datetime import timedelta

import pytest
from prefect.variables import Variable

from flows.common import settings
from flows.common.errors import ConfigError
from flows.common.outbound import OutboundRefused


def test_the_bootstrap_takes_what_env_sets_and_leaves_the_rest_alone():
    assert settings.from_env({}) == {}
    assert settings.from_env({"OUTBOUND_ALLOW": "127.0.0.1:4300, nas.local"}) == {
        "outbound_allow": ["127.0.0.1:4300", "nas.local"]
    }
    assert settings.from_env({"ZOMBIE_AFTER_SECONDS": "90"}) == {"zombie_after_seconds": 90.0}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ZOMBIE_AFTER_SECONDS": "10"}, "at least 60"),
        ({"ZOMBIE_AFTER_SECONDS": "soon"}, "'soon'"),
        ({"OUTBOUND_ALLOW": "a b"}, "outbound_allow"),
    ],
)
def test_a_bad_setting_is_refused_by_name(env, named):
    with pytest.raises(ConfigError, match=named):
        settings.from_env(env)


def test_runs_read_the_saved_variables_and_default_to_nothing_private(prefect_harness):
    for name in (settings.OUTBOUND_ALLOW, settings.ZOMBIE_AFTER):
        Variable.unset(name)
    assert settings.zombie_after() == timedelta(minutes=10)
    with pytest.raises(OutboundRefused):
        settings.outbound_policy().check("127.0.0.1", 4300, ["127.0.0.1"])

    settings.save({"outbound_allow": ["127.0.0.1:4300"], "zombie_after_seconds": 90.0})
    settings.outbound_policy().check("127.0.0.1", 4300, ["127.0.0.1"])
    assert settings.zombie_after() == timedelta(seconds=90)
    for name in (settings.OUTBOUND_ALLOW, settings.ZOMBIE_AFTER):
        Variable.unset(name)
