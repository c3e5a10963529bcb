""" "Was this right?" on a verdict: open the report form (the draft travels with it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import MAX_PRIVATE_METADATA, feedback_modal, validate_view
from bot.slack.flows import after_ack
from bot.slack.listeners.actions.common import clicked_value, tell_clicker, tell_text
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
