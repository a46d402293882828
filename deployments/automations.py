"""The failure notifications: Prefect automations, declared here, applied by the bootstrap.

The seeds alerted by logging (`_send_alert` with "email not configured"); here every
run of every deployment that ends Failed, Crashed or TimedOut, or turns Late, sends a
notification through the `alerts` block, and a run whose process vanished without a
word (no heartbeat for the `zombie_after_seconds` setting, 10 minutes by default) is
marked Crashed, which notifies in turn.

Applying is idempotent and leaves what has not changed alone: an automation is
created, or updated by its name only when its declaration differs. Updating one
resets its trigger, and a proactive trigger (the zombie one) that is reset forgets
the runs it was watching, so a restart of the stack must not touch it.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from prefect import get_client
from prefect.automations import Automation
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from pydantic import SecretStr

ALERTS_BLOCK = "alerts"
FLOW_RUNS = ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]})

SUBJECT = "{{ flow.name }}/{{ deployment.name }}: {{ flow_run.state.name }}"
BODY = """\
Flow run {{ flow.name }}/{{ flow_run.name }} of deployment {{ deployment.name }} \
entered state {{ flow_run.state.name }} at {{ flow_run.state.timestamp }}.
Message: {{ flow_run.state.message }}
Flow run: {{ flow_run|ui_url }}"""


def webhook_block(url: str) -> CustomWebhookNotificationBlock:
    """A JSON webhook: `text` is what Slack and Mattermost show, `subject` and `body`
    are for anything else. The URL is kept as a secret: chat webhook URLs carry a token."""
    return CustomWebhookNotificationBlock(
        name=ALERTS_BLOCK,
        url="{{alerts_url}}",
        json_data={"text": "{{subject}}\n{{body}}", "subject": "{{subject}}", "body": "{{body}}"},
        secrets={"alerts_url": SecretStr(url)},
    )


def _notify(name: str, description: str, events: set[str], action: SendNotification) -> Automation:
    """An automation that sends `action` whenever a flow run emits one of `events`."""
    return Automation(
        name=name,
        description=description,
        trigger=EventTrigger(expect=events, match=FLOW_RUNS, posture=Posture.Reactive, threshold=1),
        actions=[action],
    )


def declared(alerts_block_id: UUID, zombie_after: timedelta) -> list[Automation]:
    """Every automation of the control plane.

    Late runs notify through their own automation so they can be switched off in the
    UI alone: a run cancelled by CANCEL_NEW turns Late first.
    """
    notify = SendNotification(block_document_id=alerts_block_id, subject=SUBJECT, body=BODY)
    ended_badly = {
        "prefect.flow-run.Failed",
        "prefect.flow-run.Crashed",
        "prefect.flow-run.TimedOut",
    }
    return [
        _notify(
            "notify: run failed",
            "A run of any deployment ended Failed, Crashed or TimedOut.",
            ended_badly,
            notify,
        ),
        _notify(
            "notify: run late",
            "A scheduled run did not start on time (no worker, a full slot).",
            {"prefect.flow-run.Late"},
            notify,
        ),
        Automation(
            name="crash zombie runs",
            description=(
                f"A running flow run sent no heartbeat for {zombie_after}: mark it Crashed."
            ),
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={
                    "prefect.flow-run.heartbeat",
                    "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed",
                },
                match=FLOW_RUNS,
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=zombie_after,
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.CRASHED,
                    message=f"No heartbeat for {zombie_after}: the flow run process is gone.",
                )
            ],
        ),
    ]


def apply(alerts_url: str, zombie_after: timedelta) -> dict[str, str]:
    """Save the alerts block, then create or update what differs; what each one got."""
    block_id = webhook_block(alerts_url).save(ALERTS_BLOCK, overwrite=True)
    done = {}
    with get_client(sync_client=True) as client:
        for automation in declared(block_id, zombie_after):
            existing = client.read_automations_by_name(automation.name)
            if not existing:
                automation.create()
                done[automation.name] = "created"
            elif _comparable(existing[0]) == _comparable(automation):
                done[automation.name] = "unchanged"
            else:
                automation.id = existing[0].id
                automation.update()
                done[automation.name] = "updated"
    return done


def _comparable(automation: Automation) -> object:
    """An automation as declared: without the ids and times the server assigns."""
    return _without_ids(automation.model_dump(mode="json", exclude={"id", "created", "updated"}))


def _without_ids(value: object) -> object:
    """Sets (event names, resource ids) come back in any order: compare them sorted."""
    if isinstance(value, dict):
        return {
            k: _without_ids(v) for k, v in value.items() if k not in ("id", "created", "updated")
        }
    if isinstance(value, list):
        items = [_without_ids(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value
