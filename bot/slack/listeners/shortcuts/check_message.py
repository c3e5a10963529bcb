"""Message shortcut "Check with canipost": the verdict on that message, in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import InputError
from bot.slack.blocks import plain, section, validate_view, verdict_view
from bot.slack.flows import ViewSurface, actor_from, after_ack, check, follow_up
from bot.slack.services import Services
from bot.slack.text import to_plain
from bot.slack.values import DraftRef, new_check


def handle_check_message(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    ack()
    services: Services = context["canipost"]
    after_ack(services, "check message", lambda: _check(body, client, services))


def _check(body: dict[str, Any], client: WebClient, services: Services) -> None:
    text = to_plain(str((body.get("message") or {}).get("text") or "")).strip()
    ref = DraftRef(text, check=new_check())
    try:
        verdict = check(services, ref)
    except InputError as exc:
        view = {
            "type": "modal",
            "title": plain("canipost"),
            "close": plain("OK"),
            "blocks": [section(f"There's nothing I can check in that message: {exc}.")],
        }
        client.views_open(trigger_id=body["trigger_id"], view=validate_view(view))
        return
    view = verdict_view(
        verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled
    )
    opened = client.views_open(trigger_id=body["trigger_id"], view=validate_view(view))
    user = actor_from(body)
    surface = ViewSurface(services, client, opened["view"]["id"], user.id)
    follow_up(services, surface, ref, verdict, author=user)
