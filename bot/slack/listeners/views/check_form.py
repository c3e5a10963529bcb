"""The draft form is submitted: the modal turns into the verdict, in the same ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.errors import InputError
from bot.slack.blocks import (
    BLOCK_BEHALF,
    BLOCK_DRAFT,
    BLOCK_NETWORK,
    INPUT_BEHALF,
    INPUT_DRAFT,
    INPUT_NETWORK,
    validate_view,
    verdict_view,
)
from bot.slack.flows import ViewSurface, actor_from, check, follow_up
from bot.slack.services import Services
from bot.slack.values import DraftRef, new_check


def form_values(view: dict[str, Any]) -> tuple[str, str, bool | None]:
    """(draft text, network, on behalf of the organisation?) from the submitted form."""
    values = (view.get("state") or {}).get("values") or {}
    text = str((values.get(BLOCK_DRAFT) or {}).get(INPUT_DRAFT, {}).get("value") or "")
    network = (values.get(BLOCK_NETWORK) or {}).get(INPUT_NETWORK, {}).get("selected_option")
    behalf = (values.get(BLOCK_BEHALF) or {}).get(INPUT_BEHALF, {}).get("selected_option")
    on_behalf = None if not behalf else behalf.get("value") == "org"
    return text, (network or {}).get("value") or "any", on_behalf


def handle_check_form(ack: Ack, body: dict[str, Any], context: Any, client: Any) -> None:
    services: Services = context["canipost"]
    view = body["view"]
    text, network, on_behalf = form_values(view)
    ref = DraftRef(text, channel=network, on_behalf=on_behalf, check=new_check())
    try:
        verdict = check(services, ref)
    except InputError as exc:
        ack(response_action="errors", errors={BLOCK_DRAFT: str(exc)})
        return
    auto = services.auto_sends(verdict)
    result = verdict_view(
        verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled, sending=auto
    )
    ack(response_action="update", view=validate_view(result))
    user = actor_from(body)
    surface = ViewSurface(services, client, view["id"], user.id)
    follow_up(services, surface, ref, verdict, author=user)
