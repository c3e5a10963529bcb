"""The App Home's "Check a draft" button opens the same form as a bare ``/canipost``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import check_modal, validate_view


def handle_open_check(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=validate_view(check_modal()))
