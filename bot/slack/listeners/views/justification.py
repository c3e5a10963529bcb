"""The author's reasons for sending a do_not_post draft: close the form, submit after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.conversation import texts
from bot.slack.blocks import BLOCK_NOTE, INPUT_NOTE
from bot.slack.flows import ViewSurface, actor_from, later, submit, surface_for
from bot.slack.listeners.actions.common import tell_text
from bot.slack.services import Services
from bot.slack.values import load_metadata, unpack_draft


def handle_justification(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    services: Services = context["canipost"]
    view = body["view"]
    meta = load_metadata(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    note = ((values.get(BLOCK_NOTE) or {}).get(INPUT_NOTE, {}).get("value") or "").strip()
    if not note:
        ack(response_action="errors", errors={BLOCK_NOTE: texts.JUSTIFICATION_MISSING})
        return
    ack()
    ref = unpack_draft(str(meta.get("d") or ""))
    author = actor_from(body)
    surface = surface_for(services, client, meta, author.id) or ViewSurface(
        services, client, view["id"], author.id
    )

    def work() -> None:
        submit(services, surface, ref, author=author, note=note)

    later(
        services,
        "submit",
        work,
        tell=lambda m: tell_text(client, {"user": {"id": author.id}}, m["text"]),
    )
