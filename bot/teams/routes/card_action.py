"""``adaptiveCard/action`` invokes: the buttons on our cards (universal actions).

Teams waits a few seconds for the invoke's answer and shows the card we
return in place of the one clicked: so a decision answers with the
refreshed approval card (the outbox then updates the channel's copy for
everyone and tells the author), and a refusal answers with a message only
the clicker sees, leaving the card as it was. The workflow decides
everything (approver, own draft, first decision wins); the idempotency key
is the invoke's Teams activity id, so a redelivered click is replayed, not
redone.
"""

from __future__ import annotations

import re
from typing import Any

from microsoft_agents.activity import AdaptiveCardInvokeResponse
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState
from microsoft_agents.hosting.core.app.adaptive_card import factory

from bot.errors import InputError
from bot.teams.card_schema import check_card
from bot.teams.cards import (
    DECISION_VERBS,
    INPUT_JUSTIFICATION,
    INPUT_NOTE,
    VERB_REFRESH,
    VERB_SUBMIT,
    VERB_WITHDRAW,
    Card,
    DraftRef,
    approval_card,
    verdict_card,
)
from bot.teams.flows import Steps, actor_of, check, refusal_text, report_error
from bot.teams.messenger import Place, card_activity, text_activity
from bot.teams.notifier import on_behalf_of
from bot.teams.text import activity_key
from bot.verdict import Severity, Verdict
from bot.workflow import Refusal, Submission, UnknownSubmission

VERB_PATTERN = re.compile(r"^canipost\.")


def card_response(card: Card) -> AdaptiveCardInvokeResponse:
    return factory.adaptive_card(check_card(card))  # type: ignore[arg-type]


def message_response(text: str) -> AdaptiveCardInvokeResponse:
    return factory.message(text)


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_action(
        context: TurnContext, _state: TurnState, data: Any
    ) -> AdaptiveCardInvokeResponse:
        try:
            return await handle_action(steps, context, dict(data or {}))
        except Refusal as exc:
            return message_response(refusal_text(exc))
        except InputError as exc:
            return message_response(str(exc))
        except Exception as exc:  # the clicker gets a reference, the log the details
            ref = report_error(exc, what="teams card action")
            return message_response(f"Sorry, that didn't work (reference {ref}).")

    app.adaptive_card.action_execute(VERB_PATTERN)(on_action)


def _verb(context: TurnContext) -> str:
    value = context.activity.value
    action = value.get("action") if isinstance(value, dict) else None
    return str((action or {}).get("verb") or "")


def _key(kind: str, context: TurnContext) -> str:
    act = context.activity
    return activity_key(kind, act.conversation.id if act.conversation else "", act.id)


async def handle_action(
    steps: Steps, context: TurnContext, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    services = steps.services
    verb = _verb(context)
    actor = actor_of(context.activity)
    wf = services.workflow
    if verb == VERB_SUBMIT:
        return await _submit(steps, context, data)
    sid = str(data.get("sid") or "")
    if not sid:
        raise InputError("this card has no submission id")
    if verb in DECISION_VERBS:
        note = str(data.get(INPUT_NOTE) or "").strip() or None
        sub: Submission = await services.run(
            lambda: wf.decide(
                sid,
                DECISION_VERBS[verb],
                by=actor,
                note=note,
                idempotency_key=_key("decide", context),
            )
        )
        services.deliver()  # the channel's copy and the author's news go out from the outbox
        return card_response(
            approval_card(sub, titles=services.titles, on_behalf=on_behalf_of(sub))
        )
    if verb == VERB_WITHDRAW:
        sub = await services.run(
            lambda: wf.withdraw(sid, by=actor, idempotency_key=_key("withdraw", context))
        )
        services.deliver()
        ref = DraftRef(sub.text or "", sub.channel, on_behalf_of(sub))
        return card_response(
            verdict_card(sub.verdict, draft=ref, titles=services.titles, submitted=sub)
        )
    if verb == VERB_REFRESH:
        try:
            sub = await services.run(wf.get, sid)
        except UnknownSubmission as exc:
            return message_response(str(exc))
        return card_response(
            approval_card(sub, titles=services.titles, on_behalf=on_behalf_of(sub))
        )
    return message_response("That button is from an older version of canipost; ask again.")


async def _submit(
    steps: Steps, context: TurnContext, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """ "Send to comms": recheck, queue once per check, answer with the card showing the state."""
    services = steps.services
    ref = DraftRef.from_data(data)
    if not ref.text.strip():
        raise InputError("this card no longer carries its draft; send it to me again")
    justification = str(data.get(INPUT_JUSTIFICATION) or "").strip() or None
    author = actor_of(context.activity)
    origin = Place.of_turn(context)
    rules: Verdict = await services.run(check, services, ref)
    if rules.decision >= Severity.DO_NOT_POST and not justification:
        # The rules changed since the card was drawn: ask for reasons on the same card.
        card = verdict_card(
            rules,
            draft=ref,
            titles=services.titles,
            notice="The review now says do not post: tell comms why before sending it.",
        )
        return card_response(card)
    card_id = context.activity.reply_to_id
    if services.llm_enabled and card_id:
        # The full review takes longer than Teams waits for an invoke: answer now, redraw later.

        async def show(verdict: Verdict, sub: Submission | None, notice: str | None) -> None:
            card = verdict_card(
                verdict, draft=ref, titles=services.titles, submitted=sub, notice=notice
            )
            await steps.messenger.update(origin, card_id, card_activity(card))

        async def tell(text: str) -> None:
            await steps.messenger.send(origin, text_activity(text))

        steps.submit_later(
            ref, author=author, origin=origin, note=justification, show=show, tell=tell
        )
        sending = verdict_card(
            rules, draft=ref, titles=services.titles, notice="📤 Sending to comms for approval…"
        )
        return card_response(_without_actions(sending))
    sub, notice = await steps.submit(ref, rules, author=author, origin=origin, note=justification)
    return card_response(
        verdict_card(rules, draft=ref, titles=services.titles, submitted=sub, notice=notice)
    )


def _without_actions(card: Card) -> Card:
    """The same card with its buttons and inputs gone (while a submission is on its way)."""
    body = [el for el in card["body"] if el.get("type") != "Input.Text"]
    return {**{k: v for k, v in card.items() if k != "actions"}, "body": body}
