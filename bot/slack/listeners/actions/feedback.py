""" "Was this right?" on a verdict: open the report form (the draft travels with it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import (
    ACTION_FEEDBACK_CONFIRM,
    MAX_PRIVATE_METADATA,
    feedback_modal,
    validate_view,
)
from bot.slack.flows import actor_from, after_ack, publish_home
from bot.slack.listeners.actions.common import clicked_value, tell_clicker, tell_text
from bot.slack.services import Services
from bot.slack.values import pack_draft, unpack_draft


def handle_feedback(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    after_ack(
        context["canipost"],
        "open feedback form",
        lambda: _open(body, client),
        tell=lambda m: tell_clicker(client, body, m),
    )


def _open(body: dict[str, Any], client: WebClient) -> None:
    packed = pack_draft(unpack_draft(clicked_value(body)), limit=MAX_PRIVATE_METADATA - 200)
    if packed is None:
        tell_text(client, body, "This draft is too long to report from here.")
        return
    view = validate_view(feedback_modal(packed))
    if (body.get("view") or {}).get("type") == "modal":  # from our verdict modal: stack it
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_review_report(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    """Confirm or Dismiss on a report in the approver's App Home; the Home is redrawn."""
    ack()
    services: Services = context["canipost"]

    def work() -> None:
        by = actor_from(body)
        confirm = body["actions"][0]["action_id"] == ACTION_FEEDBACK_CONFIRM
        notice = services.review_feedback(clicked_value(body), confirm=confirm, by=by)
        publish_home(services, client, by.id, notice=notice)

    after_ack(services, "review report", work, tell=lambda m: tell_clicker(client, body, m))
