"""Chat messages: a draft gets a verdict card, a question an answer with citations.

In a personal chat every message is for us; in a channel or group chat Teams
only sends the messages that @mention the bot (the SDK removes that
mention). "review: …" or any message that does not read as a question is a
draft; see :func:`bot.teams.text.classify`.
"""

from __future__ import annotations

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState

from bot.errors import InputError
from bot.teams.cards import DraftRef, answer_card, help_card, verdict_card
from bot.teams.flows import Steps, actor_of, check, guarded
from bot.teams.messenger import Place, card_activity, text_activity
from bot.teams.text import activity_key, classify, to_plain


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        await handle_message(steps, context)

    app.activity(ActivityTypes.message)(on_message)


async def handle_message(steps: Steps, context: TurnContext) -> None:
    services = steps.services
    act = context.activity
    if act.value and not act.text:
        return  # an Action.Submit from an old-style card: nothing of ours sends those
    kind, body = classify(to_plain(act.text or ""))
    if kind == "help":
        await context.send_activity(card_activity(help_card(), summary="How to use canipost"))
        return
    if kind == "review":
        conv = act.conversation.id if act.conversation else ""
        ref = DraftRef(body, check=activity_key("submit", conv, act.id))
        try:
            verdict = await services.run(check, services, ref)
        except InputError as exc:
            await context.send_activity(text_activity(f"I can't check that: {exc}"))
            return
        card = verdict_card(
            verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled
        )
        sent = await context.send_activity(card_activity(card))
        if sent is not None and sent.id:
            steps.follow_up(Place.of_turn(context), sent.id, ref, verdict, author=actor_of(act))
        return
    if not services.llm_enabled:
        answer = await services.run(services.ask, body, False)
        await context.send_activity(card_activity(answer_card(answer, question=body)))
        return
    # The LLM answer can take longer than Teams waits for a turn: say so, then update.
    sent = await context.send_activity(text_activity("⏳ Looking that up in the policy…"))
    place = Place.of_turn(context)

    async def work() -> None:
        answer = await services.run(services.ask, body, None)
        activity = card_activity(answer_card(answer, question=body))
        if sent is not None and sent.id:
            await steps.messenger.update(place, sent.id, activity)
        else:
            await steps.messenger.send(place, activity)

    async def tell(text: str) -> None:
        await steps.messenger.send(place, text_activity(text))

    steps.background.spawn(guarded("answer", work(), tell))
