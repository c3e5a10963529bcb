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

from bot.conversation import texts
from bot.conversation.steps import VerdictScreen, report_error
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
from bot.teams.flows import Steps, actor_of, guarded, where
from bot.teams.messenger import Place, text_activity
from bot.teams.text import html_to_text
from bot.verdict import Severity
from bot.workflow import Refusal
from bot.workflow.keys import digest

COMMAND_CHECK = "checkWithCanipost"
FETCH = "composeExtension/fetchTask"
SUBMIT = "composeExtension/submitAction"


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_invoke(context: TurnContext, _state: TurnState) -> None:
        try:
            body = await handle(steps, context)
        except (InputError, Refusal) as exc:
            text = texts.refusal_text(exc) if isinstance(exc, Refusal) else str(exc)
            body = task_message(text)
        except Exception as exc:
            _ref, words = report_error(exc, what="teams message action")
            body = task_message(words)
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
    steps = steps.for_activity(context.activity)  # the tenant's config and data
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
    ref = DraftRef(text, check=digest(str(payload.get("id") or context.activity.id), user))
    verdict = await services.run(services.check, ref)
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
    rules = await services.run(services.check, ref)
    if rules.decision >= Severity.DO_NOT_POST and not justification:
        return task_card(
            verdict_card(
                rules, draft=ref, titles=services.titles, dialog=True, notice=texts.JUSTIFY_NOW
            )
        )
    verdict = rules if not services.llm_enabled else None

    def send() -> VerdictScreen:
        return services.submit(
            ref, author=author, where=where(origin), note=justification, verdict=verdict
        )

    def line(screen: VerdictScreen) -> str:
        if screen.submitted is None:
            return screen.notice or "Not sent."
        return texts.sent_for_approval(screen.submitted.id)

    if services.llm_enabled:
        # The full review is slower than a dialog may stay open: confirm in their chat instead.

        async def work() -> None:
            screen = await services.run(send)
            await steps.messenger.tell(origin, text_activity(line(screen)))

        async def tell(text: str) -> None:
            await steps.messenger.tell(origin, text_activity(text))

        steps.background.spawn(guarded("submit", work(), tell))
        return task_message(texts.SENDING_CONFIRM_IN_CHAT)
    return task_message(line(await services.run(send)))
