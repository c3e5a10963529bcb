"""The "Check with canipost" message action: review any message, in a dialog.

Teams sends ``composeExtension/fetchTask`` with the message (as HTML); we
answer with a dialog holding the verdict card. A risky draft's dialog has
"Send to comms" (``Action.Submit``: dialogs do not take ``Action.Execute``),
which comes back as ``composeExtension/submitAction``; we queue it and close
the dialog with a one-line message. The author hears the decision in their
personal chat with the bot. With ``fetchTask: false`` in a manifest, Teams
sends ``submitAction`` straight away with the message: that is reviewed too.
"""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState

from bot.errors import InputError
from bot.teams.card_schema import check_card
from bot.teams.cards import (
    CONTENT_TYPE,
    INPUT_JUSTIFICATION,
    SUBMIT_KEY,
    VERB_SUBMIT,
    DraftRef,
    verdict_card,
)
from bot.teams.flows import Steps, actor_of, check, refusal_text, report_error
from bot.teams.messenger import Place, text_activity
from bot.teams.text import activity_key, html_to_text
from bot.verdict import Severity
from bot.workflow import Refusal, Submission

COMMAND_CHECK = "checkWithCanipost"
FETCH = "composeExtension/fetchTask"
SUBMIT = "composeExtension/submitAction"


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_invoke(context: TurnContext, _state: TurnState) -> None:
        try:
            body = await handle(steps, context)
        except (InputError, Refusal) as exc:
            text = refusal_text(exc) if isinstance(exc, Refusal) else str(exc)
            body = task_message(text)
        except Exception as exc:
            ref = report_error(exc, what="teams message action")
            body = task_message(f"Sorry, that didn't work (reference {ref}).")
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body)
            )
        )

    app.invoke(FETCH)(on_invoke)
    app.invoke(SUBMIT)(on_invoke)


def task_message(text: str) -> dict[str, Any]:
    """Close the dialog with a short message."""
    return {"task": {"type": "message", "value": text}}


def task_card(card: dict[str, Any], title: str = "canipost") -> dict[str, Any]:
    """Open (or keep open) a dialog showing ``card``."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "width": "large",
                "height": "large",
                "card": {"contentType": CONTENT_TYPE, "content": check_card(card)},
            },
        }
    }


def message_text(value: dict[str, Any]) -> str:
    """The text of the message the action was used on (Teams sends HTML or text)."""
    payload = value.get("messagePayload") or {}
    body = payload.get("body") or {}
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "html").lower() == "html":
        return html_to_text(content)
    return content.strip()


async def handle(steps: Steps, context: TurnContext) -> dict[str, Any]:
    value = context.activity.value if isinstance(context.activity.value, dict) else {}
    data = value.get("data") if isinstance(value.get("data"), dict) else None
    if context.activity.name == SUBMIT and data and data.get(SUBMIT_KEY) == VERB_SUBMIT:
        return await submit_from_dialog(steps, context, data)
    return await review_message(steps, context, value)


async def review_message(
    steps: Steps, context: TurnContext, value: dict[str, Any]
) -> dict[str, Any]:
    services = steps.services
    text = message_text(value)
    if not text:
        return task_message("That message has no text I can check (images and files aren't read).")
    payload = value.get("messagePayload") or {}
    user = context.activity.from_property.id if context.activity.from_property else ""
    # One check per person and message: checking it twice and sending twice queues it once.
    ref = DraftRef(
        text, check=activity_key("submit", str(payload.get("id") or context.activity.id), user)
    )
    verdict = await services.run(check, services, ref)
    return task_card(verdict_card(verdict, draft=ref, titles=services.titles, dialog=True))


async def submit_from_dialog(
    steps: Steps, context: TurnContext, data: dict[str, Any]
) -> dict[str, Any]:
    services = steps.services
    ref = DraftRef.from_data(data)
    if not ref.text.strip():
        raise InputError("the dialog lost its draft; use Check with canipost again")
    justification = str(data.get(INPUT_JUSTIFICATION) or "").strip() or None
    author = actor_of(context.activity)
    origin = Place.of_turn(context)
    rules = await services.run(check, services, ref)
    if rules.decision >= Severity.DO_NOT_POST and not justification:
        again = "The review now says do not post: tell comms why before sending it."
        return task_card(
            verdict_card(rules, draft=ref, titles=services.titles, dialog=True, notice=again)
        )
    if services.llm_enabled:
        # The full review is slower than a dialog may stay open: confirm in their chat instead.

        async def show(_verdict: Any, sub: Submission | None, notice: str | None) -> None:
            line = f"Sent to comms for approval as {sub.id}." if sub else (notice or "Not sent.")
            await steps.messenger.tell(origin, text_activity(line))

        async def tell(text: str) -> None:
            await steps.messenger.tell(origin, text_activity(text))

        steps.submit_later(
            ref, author=author, origin=origin, note=justification, show=show, tell=tell
        )
        return task_message("Sending it to comms for approval; I'll confirm in our chat.")
    sub, notice = await steps.submit(ref, rules, author=author, origin=origin, note=justification)
    if sub is None:
        return task_message(notice or "Not sent.")
    return task_message(
        f"Sent to comms for approval as {sub.id}. I'll tell you their decision in our chat."
    )
