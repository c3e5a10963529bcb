"""The watch list in an approver's App Home: Add (opens the form) and Remove (redraws the Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import validate_view, watch_modal
from bot.slack.flows import actor_from, after_ack, publish_home
from bot.slack.listeners.actions.common import clicked_value, tell_clicker
from bot.slack.services import Services


def handle_watch_add(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    view = validate_view(watch_modal())  # the trigger expires in 3 s: open it at once
    after_ack(
        context["canipost"],
        "open watch form",
        lambda: client.views_open(trigger_id=body["trigger_id"], view=view),
        tell=lambda m: tell_clicker(client, body, m),
    )


def handle_watch_remove(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]

    def work() -> None:
        by = actor_from(body)
        notice = services.watch(f"remove {clicked_value(body)}", by=by)
        publish_home(services, client, by.id, notice=notice)

    after_ack(services, "watch remove", work, tell=lambda m: tell_clicker(client, body, m))
