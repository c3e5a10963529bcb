""" "Send to comms for approval", and its do_not_post variant that asks for reasons first."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.conversation import texts
from bot.slack.blocks import justify_modal, validate_view
from bot.slack.flows import actor_from, after_ack, check, later, submit
from bot.slack.listeners.actions.common import (
    clicked_value,
    origin_of,
    surface_of,
    tell_clicker,
    tell_text,
)
from bot.slack.services import Services
from bot.slack.values import unpack_draft
from bot.verdict import Severity


def _open_justify(client: WebClient, body: dict[str, Any], value: str) -> None:
    origin = origin_of(body)
    view = validate_view(justify_modal(value, origin=origin))
    if "v" in origin:  # clicked inside our verdict modal: stack the form on top of it
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_submit(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]
    after_ack(
        services,
        "send for approval",
        lambda: _submit(body, client, services),
        tell=lambda m: tell_clicker(client, body, m),
    )


def _submit(body: dict[str, Any], client: WebClient, services: Services) -> None:
    value = clicked_value(body)
    ref = unpack_draft(value)
    verdict = check(services, ref)
    if verdict.decision >= Severity.DO_NOT_POST:  # rules changed since: reasons needed now
        _open_justify(client, body, value)
        return
    surface = surface_of(services, client, body)
    if surface is None:
        tell_text(client, body, texts.NO_MESSAGE_TO_UPDATE)
        return
    author = actor_from(body)
    surface.show_verdict(verdict, ref, sending=True)

    def work() -> None:
        submit(services, surface, ref, author=author)

    later(
        services,
        "submit",
        work,
        tell=lambda m: tell_clicker(client, body, m),
    )


def handle_submit_justify(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    after_ack(
        context["canipost"],
        "open justification form",
        lambda: _open_justify(client, body, clicked_value(body)),
        tell=lambda m: tell_clicker(client, body, m),
    )
