"""An approver's note for Request changes / Reject: the decision is recorded before the ack,
so a refusal (someone decided first) shows in the form instead of vanishing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import BLOCK_NOTE, INPUT_NOTE
from bot.slack.flows import actor_from, after_ack, publish_home
from bot.slack.services import Services
from bot.slack.values import load_metadata
from bot.workflow.keys import request_key


def handle_decision_note(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    services: Services = context["canipost"]
    view = body["view"]
    meta = load_metadata(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    note = (values.get(BLOCK_NOTE) or {}).get(INPUT_NOTE, {}).get("value") or ""
    by = actor_from(body)
    outcome = services.decide(
        str(meta.get("id")),
        str(meta.get("decision")),
        by=by,
        note=note,
        # One submitted form is one decision, however often Slack delivers it.
        key=request_key("slack", "decide", view["id"]),
    )
    if outcome.refusal is not None:
        ack(response_action="errors", errors={BLOCK_NOTE: outcome.refusal[:2000]})
        return
    ack()
    if meta.get("home"):
        notice = f"Decision recorded for {meta.get('id')}."
        after_ack(
            services, "redraw home", lambda: publish_home(services, client, by.id, notice=notice)
        )
