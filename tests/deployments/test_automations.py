"""Applying the notifications twice changes nothing; a changed threshold updates one."""

from datetime import timedelta

from prefect import get_client

from deployments.automations import apply

NAMES = ["crash zombie runs", "notify: run failed", "notify: run late"]


def updated_times() -> dict[str, str]:
    """The server's own record of when each automation was last written."""
    with get_client(sync_client=True) as client:
        found = client.request("POST", "/automations/filter", json={}).json()
    return {a["name"]: a["updated"] for a in found if a["name"] in NAMES}


def test_reapplying_unchanged_automations_touches_none(prefect_harness):
    first = apply("http://alerts.example/hook", timedelta(minutes=10))
    before = updated_times()
    again = apply("http://alerts.example/hook", timedelta(minutes=10))

    assert set(first) == set(NAMES)
    assert set(again.values()) == {"unchanged"}
    assert updated_times() == before


def test_a_new_zombie_threshold_updates_that_automation_only(prefect_harness):
    apply("http://alerts.example/hook", timedelta(minutes=10))
    changed = apply("http://alerts.example/hook", timedelta(seconds=90))
    assert changed == {
        "notify: run failed": "unchanged",
        "notify: run late": "unchanged",
        "crash zombie runs": "updated",
    }
    apply("http://alerts.example/hook", timedelta(minutes=10))
