"""Chat messages: a draft gets a verdict card, a question an answer with citations.

In a personal chat every message is for us; in a channel or group chat Teams
only sends the messages that @mention the bot (the SDK removes that
mention). What a message means is the conversation layer's reading, the
same as in Slack: see :func:`bot.conversation.classify`.
"""

from __future__ import annotations

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState

from bot.conversation import DraftRef, classify, texts
from bot.errors import InputError
from bot.teams import admin
from bot.teams.cards import answer_card, reports_card, verdict_card, watch_card
from bot.teams.flows import Steps, actor_of, guarded
from bot.teams.messenger import Place, card_activity, text_activity
from bot.teams.text import to_plain
from bot.workflow.keys import digest


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        await handle_message(steps, context)

    app.activity(ActivityTypes.message)(on_message)


async def handle_message(steps: Steps, context: TurnContext) -> None:
    steps = steps.for_activity(context.activity)  # the tenant's config and data
    services = steps.services
    act = context.activity
    if act.value and not act.text:
        return  # an Action.Submit from an old-style card: nothing of ours sends those
    intent = classify(to_plain(act.text or ""))
    if intent.kind == "command" and intent.command == "reports":
        pending = await services.run(services.pending_feedback, actor_of(act))
        if pending is None:
            await context.send_activity(text_activity(texts.FEEDBACK_APPROVERS_ONLY))
        else:
            await context.send_activity(card_activity(reports_card(pending)))
        return
    if intent.kind == "command" and intent.command == "watch":
        # Confidential: only in a personal chat, where nobody else reads the answer.
        personal = act.conversation is not None and act.conversation.conversation_type in (
            None,
            "personal",
        )
        if not personal:
            await context.send_activity(text_activity(texts.WATCH_PRIVATE_ONLY))
            return
        by = actor_of(act)
        if intent.body.strip() in ("", "list"):  # the list as a card, with its Add form
            entries = await services.run(services.watch_entries, by)
            if entries is not None:
                await context.send_activity(card_activity(watch_card(entries)))
                return
        reply = await services.run(lambda: services.watch(intent.body, by=by))
        await context.send_activity(text_activity(reply))
        return
    if intent.kind == "command" and intent.command == "settings":  # admins' settings card
        shown = await admin.show(steps, act)
        out = (
            text_activity(shown)
            if isinstance(shown, str)
            else card_activity(shown, summary="canipost settings")
        )
        await context.send_activity(out)
        return
    if intent.kind in ("help", "command"):
        card = await admin.help_for(steps, act)  # the commands this person can use
        await context.send_activity(card_activity(card, summary="How to use canipost"))
        return
    if intent.kind == "draft":
        conv = act.conversation.id if act.conversation else ""
        ref = DraftRef(intent.body, check=digest(conv, act.id))
        try:
            verdict = await services.run(services.check, ref)
        except InputError as exc:
            await context.send_activity(text_activity(texts.cant_check(exc)))
            return
        card = verdict_card(
            verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled
        )
        sent = await context.send_activity(card_activity(card))
        if sent is not None and sent.id:
            steps.follow_up(Place.of_turn(context), sent.id, ref, verdict, author=actor_of(act))
        return
    question = intent.body
    # A personal chat, or a channel's reply chain (its conversation id names the thread),
    # is one conversation per person.
    thread, by = (act.conversation.id if act.conversation else None), actor_of(act)
    if not services.llm_enabled:
        answer = await services.run(
            lambda: services.answer(question, use_llm=False, thread=thread, by=by)
        )
        await context.send_activity(card_activity(answer_card(answer, question=question)))
        return
    # The LLM answer can take longer than Teams waits for a turn: say so, then update.
    sent = await context.send_activity(text_activity(texts.LOOKING_UP))
    place = Place.of_turn(context)

    async def work() -> None:
        answer = await services.run(
            lambda: services.answer(question, use_llm=None, thread=thread, by=by)
        )
        activity = card_activity(answer_card(answer, question=question))
        if sent is not None and sent.id:
            await steps.messenger.update(place, sent.id, activity)
        else:
            await steps.messenger.send(place, activity)

    async def tell(text: str) -> None:
        await steps.messenger.send(place, text_activity(text))

    steps.background.spawn(guarded("answer", work(), tell))
