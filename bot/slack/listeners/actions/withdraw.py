"""The author withdraws a pending draft (from the verdict message or the App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.flows import (
    actor_from,
    after_ack,
    publish_home,
    redraw_submission,
)
from bot.slack.listeners.actions.common import (
    action_key,
    clicked_value,
    in_home,
    surface_of,
    tell_clicker,
    tell_text,
)
from bot.slack.services import Services


def handle_withdraw(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]
    after_ack(
        services,
        "withdraw",
        lambda: _withdraw(body, client, services),
        tell=lambda m: tell_clicker(client, body, m),
    )


def _withdraw(body: dict[str, Any], client: WebClient, services: Services) -> None:
    by = actor_from(body)
    sid = clicked_value(body)
    outcome = services.withdraw(sid, by=by, key=action_key("withdraw", body))
    if outcome.submission is None:
        tell_text(client, body, outcome.refusal or "")
        return
    sub = outcome.submission
    if in_home(body):
        publish_home(services, client, by.id, notice=f"Withdrew {sid}.")
        return
    surface = surface_of(services, client, body)
    if surface is not None:
        redraw_submission(surface, sub)
