"""The App Home's "Check a draft" button opens the same form as a bare ``/canipost``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import check_modal, validate_view
from bot.slack.flows import after_ack


def handle_open_check(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    view = validate_view(check_modal())
    after_ack(
        context["canipost"],
        "open form",
        lambda: client.views_open(trigger_id=body["trigger_id"], view=view),
    )
