"""Approve (one click) and Request changes / Reject (a note, through a modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.blocks import ACTION_CHANGES, note_modal, validate_view
from bot.slack.flows import actor_from, after_ack, publish_home
from bot.slack.listeners.actions.common import (
    action_key,
    clicked_value,
    in_home,
    tell_clicker,
    tell_text,
)
from bot.slack.services import Services


def handle_approve(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]
    after_ack(
        services,
        "approve",
        lambda: _approve(body, client, services),
        tell=lambda m: tell_clicker(client, body, m),
    )


def _approve(body: dict[str, Any], client: WebClient, services: Services) -> None:
    by = actor_from(body)
    sid = clicked_value(body)
    key = action_key("decide", body)
    outcome = services.decide(sid, "approve", by=by, note=None, key=key)
    if outcome.refusal is not None:
        tell_text(client, body, outcome.refusal)
        return
    # The card update and the author's DM go out from the outbox.
    if in_home(body):
        publish_home(services, client, by.id, notice=f"Approved {sid}.")


def handle_note_decision(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]
    after_ack(
        services,
        "open note form",
        lambda: _ask_for_note(body, client, services),
        tell=lambda m: tell_clicker(client, body, m),
    )


def _ask_for_note(body: dict[str, Any], client: WebClient, services: Services) -> None:
    by = actor_from(body)
    sid = clicked_value(body)
    # The workflow's own rules, asked before the note is typed rather than after.
    refused = services.may_decide(sid, by)
    if refused:
        tell_text(client, body, refused)
        return
    action_id = body["actions"][0]["action_id"]
    decision = "changes" if action_id == ACTION_CHANGES else "reject"
    origin = {"home": True} if in_home(body) else {}
    client.views_open(
        trigger_id=body["trigger_id"], view=validate_view(note_modal(sid, decision, origin=origin))
    )
