"""The "Was this right?" form is sent: store the report, and the form says what happens next."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.errors import InputError
from bot.slack.blocks import (
    BLOCK_CATEGORIES,
    BLOCK_EXPECTED,
    BLOCK_NOTE,
    INPUT_CATEGORIES,
    INPUT_EXPECTED,
    INPUT_NOTE,
    notice_view,
    validate_view,
)
from bot.slack.flows import actor_from
from bot.slack.services import Services
from bot.slack.values import load_metadata, unpack_draft


def handle_feedback_form(ack: Ack, body: dict[str, Any], context: Any) -> None:
    services: Services = context["canipost"]
    view = body["view"]
    values = view["state"]["values"]
    expected = (values.get(BLOCK_EXPECTED) or {}).get(INPUT_EXPECTED, {}).get("selected_option")
    chosen = (values.get(BLOCK_CATEGORIES) or {}).get(INPUT_CATEGORIES, {}).get("selected_options")
    note = ((values.get(BLOCK_NOTE) or {}).get(INPUT_NOTE, {}).get("value") or "").strip()
    try:
        ref = unpack_draft(str(load_metadata(view.get("private_metadata")).get("d") or ""))
        reply = services.feedback(
            ref,
            by=actor_from(body),
            expected=str((expected or {}).get("value") or ""),
            categories=[str(o.get("value")) for o in chosen or []],
            note=note or None,
        )
    except InputError as exc:
        ack(response_action="errors", errors={BLOCK_EXPECTED: str(exc)[:2000]})
        return
    ack(response_action="update", view=validate_view(notice_view("Thank you", reply)))
