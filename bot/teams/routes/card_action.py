"""``adaptiveCard/action`` invokes: the buttons on our cards (universal actions).

Teams waits a few seconds for the invoke's answer and shows the card we
return in place of the one clicked: so a decision answers with the
refreshed approval card (the outbox then updates the channel's copy for
everyone and tells the author), and a refusal answers with a message only
the clicker sees, leaving the card as it was. The conversation steps and
the workflow decide everything (approver, own draft, first decision wins);
the idempotency key is the invoke's Teams activity id, so a redelivered
click is replayed, not redone.
"""

from __future__ import annotations

import re
from typing import Any

from microsoft_agents.activity import AdaptiveCardInvokeResponse
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState
from microsoft_agents.hosting.core.app.adaptive_card import factory

from bot.conversation import DraftRef, VerdictScreen, texts
from bot.conversation.steps import Outcome, report_error
from bot.errors import InputError
from bot.teams import admin
from bot.teams.card_schema import check_card
from bot.teams.cards import (
    DECISION_VERBS,
    INPUT_CATEGORIES,
    INPUT_EXPECTED,
    INPUT_FEEDBACK_NOTE,
    INPUT_JUSTIFICATION,
    INPUT_NOTE,
    INPUT_WATCH_KIND,
    INPUT_WATCH_NOTE,
    INPUT_WATCH_TERM,
    INPUT_WATCH_UNTIL,
    VERB_FEEDBACK,
    VERB_FEEDBACK_CONFIRM,
    VERB_FEEDBACK_DISMISS,
    VERB_REFRESH,
    VERB_SETTINGS_SAVE,
    VERB_SUBMIT,
    VERB_WATCH_ADD,
    VERB_WATCH_REMOVE,
    VERB_WITHDRAW,
    Card,
    approval_card,
    reports_card,
    watch_card,
)
from bot.teams.flows import Steps, actor_of, where
from bot.teams.messenger import Place
from bot.teams.text import activity_key
from bot.verdict import Severity
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
            return message_response(texts.refusal_text(exc))
        except InputError as exc:
            return message_response(str(exc))
        except Exception as exc:  # the clicker gets a reference, the log the details
            _ref, words = report_error(exc, what="teams card action")
            return message_response(words)

    app.adaptive_card.action_execute(VERB_PATTERN)(on_action)


def _verb(context: TurnContext) -> str:
    value = context.activity.value
    action = value.get("action") if isinstance(value, dict) else None
    return str((action or {}).get("verb") or "")


def _key(kind: str, context: TurnContext) -> str:
    act = context.activity
    return activity_key(kind, act.conversation.id if act.conversation else "", act.id)


def _approval(steps: Steps, sub: Submission) -> AdaptiveCardInvokeResponse:
    titles = steps.services.titles
    approvers = sorted(steps.services.config.approvers.ids_for("teams"))  # refresh.userIds
    card = approval_card(
        sub, titles=titles, on_behalf=DraftRef.of(sub).on_behalf, approvers=approvers
    )
    return card_response(card)


def _answer(outcome: Outcome) -> Submission:
    if outcome.submission is None:
        raise _Refused(outcome.refusal or "")
    return outcome.submission


class _Refused(Exception):
    """A refusal already in words, for the clicker only."""


async def handle_action(
    steps: Steps, context: TurnContext, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    steps = steps.for_activity(context.activity)  # the tenant's config and data
    services = steps.services
    verb = _verb(context)
    actor = actor_of(context.activity)
    if verb == VERB_SETTINGS_SAVE:
        saved = await admin.save(steps, context.activity, data)
        return message_response(saved) if isinstance(saved, str) else card_response(saved)
    if verb == VERB_SUBMIT:
        return await _submit(steps, context, data)
    if verb == VERB_FEEDBACK:
        return await _feedback(steps, actor, data)
    if verb in (VERB_WATCH_ADD, VERB_WATCH_REMOVE):
        return await _watch(steps, actor, verb, data)
    if verb in (VERB_FEEDBACK_CONFIRM, VERB_FEEDBACK_DISMISS):
        fid, confirm = str(data.get("fid") or ""), verb == VERB_FEEDBACK_CONFIRM

        def review() -> tuple[str, list[Any] | None]:
            notice = services.review_feedback(fid, confirm=confirm, by=actor)
            return notice, services.pending_feedback(actor)

        notice, pending = await services.run(review)
        if pending is None:
            return message_response(notice)
        return card_response(reports_card(pending, notice=notice))
    sid = str(data.get("sid") or "")
    if not sid:
        raise InputError("this card has no submission id")
    try:
        if verb in DECISION_VERBS:
            note = str(data.get(INPUT_NOTE) or "").strip() or None
            key = _key("decide", context)
            outcome = await services.run(
                lambda: services.decide(sid, DECISION_VERBS[verb], by=actor, note=note, key=key)
            )
            return _approval(steps, _answer(outcome))
        if verb == VERB_WITHDRAW:
            key = _key("withdraw", context)
            outcome = await services.run(lambda: services.withdraw(sid, by=actor, key=key))
            sub = _answer(outcome)
            screen = VerdictScreen(sub.verdict, DraftRef.of(sub), submitted=sub)
            return card_response(steps.card(screen))
    except _Refused as refused:
        return message_response(str(refused))
    if verb == VERB_REFRESH:
        try:
            sub = await services.run(services.workflow.get, sid)
        except UnknownSubmission as exc:
            return message_response(str(exc))
        return _approval(steps, sub)
    return message_response(texts.OLD_BUTTON)


async def _submit(
    steps: Steps, context: TurnContext, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """ "Send to comms": recheck, queue once per check, answer with the card showing the state."""
    services = steps.services
    ref = DraftRef.from_data(data)
    if not ref.text.strip():
        raise InputError(texts.NO_DRAFT_ON_CARD)
    justification = str(data.get(INPUT_JUSTIFICATION) or "").strip() or None
    author = actor_of(context.activity)
    origin = Place.of_turn(context)
    rules = await services.run(services.check, ref)
    if rules.decision >= Severity.DO_NOT_POST and not justification:
        # The rules changed since the card was drawn: ask for reasons on the same card.
        return card_response(steps.card(VerdictScreen(rules, ref, notice=texts.JUSTIFY_NOW)))
    card_id = context.activity.reply_to_id
    if services.llm_enabled and card_id:
        # The full review takes longer than Teams waits for an invoke: answer now, redraw later.
        steps.later(
            "submit",
            origin,
            card_id,
            lambda: services.submit(ref, author=author, where=where(origin), note=justification),
        )
        sending = steps.card(VerdictScreen(rules, ref, notice=texts.SENDING))
        return card_response(_without_actions(sending))
    screen = await services.run(
        lambda: services.submit(
            ref, author=author, where=where(origin), note=justification, verdict=rules
        )
    )
    return card_response(steps.card(screen))


async def _feedback(steps: Steps, actor: Any, data: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """ "Was this right?" sent: store the report; only the reporter sees the answer."""
    services = steps.services
    ref = DraftRef.from_data(data)
    if not ref.text.strip():
        raise InputError(texts.NO_DRAFT_ON_CARD)
    chosen = str(data.get(INPUT_CATEGORIES) or "")
    note = str(data.get(INPUT_FEEDBACK_NOTE) or "").strip() or None
    reply = await services.run(
        lambda: services.feedback(
            ref,
            by=actor,
            expected=str(data.get(INPUT_EXPECTED) or ""),
            categories=[c for c in chosen.split(",") if c.strip()],
            note=note,
        )
    )
    return message_response(reply)


async def _watch(
    steps: Steps, actor: Any, verb: str, data: dict[str, Any]
) -> AdaptiveCardInvokeResponse:
    """Add or Remove on the watch-list card; the card comes back redrawn with what happened."""
    services = steps.services

    def change() -> tuple[str, list[Any] | None]:
        if verb == VERB_WATCH_REMOVE:
            notice = services.watch(f"remove {data.get('eid') or ''}", by=actor)
        else:
            notice = services.watch_add(
                str(data.get(INPUT_WATCH_TERM) or ""),
                kind=str(data.get(INPUT_WATCH_KIND) or ""),
                by=actor,
                until=str(data.get(INPUT_WATCH_UNTIL) or "").strip() or None,
                note=str(data.get(INPUT_WATCH_NOTE) or "").strip() or None,
            )
        return notice, services.watch_entries(actor)

    notice, entries = await services.run(change)
    if entries is None:
        return message_response(notice)
    return card_response(watch_card(entries, notice=notice))


def _without_actions(card: Card) -> Card:
    """The same card with its buttons and inputs gone (while a submission is on its way)."""
    body = [el for el in card["body"] if el.get("type") != "Input.Text"]
    return {**{k: v for k, v in card.items() if k != "actions"}, "body": body}
