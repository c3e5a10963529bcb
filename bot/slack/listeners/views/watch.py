"""The watch-list form is sent: add the entry (or show why not in the form), redraw the Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.errors import InputError
from bot.slack.blocks import (
    BLOCK_KIND,
    BLOCK_NOTE,
    BLOCK_TERM,
    BLOCK_UNTIL,
    INPUT_KIND,
    INPUT_NOTE,
    INPUT_TERM,
    INPUT_UNTIL,
)
from bot.slack.flows import actor_from, after_ack, publish_home
from bot.slack.services import Services


def handle_watch_form(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    services: Services = context["canipost"]
    values = body["view"]["state"]["values"]

    def value(block: str, action: str, key: str = "value") -> str:
        return str((values.get(block) or {}).get(action, {}).get(key) or "").strip()

    kind = (values.get(BLOCK_KIND) or {}).get(INPUT_KIND, {}).get("selected_option") or {}
    by = actor_from(body)
    try:
        notice = services.watch_add(
            value(BLOCK_TERM, INPUT_TERM),
            kind=str(kind.get("value") or ""),
            by=by,
            until=value(BLOCK_UNTIL, INPUT_UNTIL, "selected_date") or None,
            note=value(BLOCK_NOTE, INPUT_NOTE) or None,
        )
    except InputError as exc:
        ack(response_action="errors", errors={BLOCK_TERM: str(exc)[:2000]})
        return
    ack()
    after_ack(services, "redraw home", lambda: publish_home(services, client, by.id, notice=notice))
