"""What DMs and mentions share: read the message, then review it or answer it in the thread.

What a message means is the conversation layer's reading, the same as in
Teams (:func:`bot.conversation.classify`): a draft unless it reads as a
question about the policy.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.conversation import DraftRef, classify, new_check, texts
from bot.errors import InputError
from bot.slack.blocks import (
    answer_message,
    pending_message,
    text_message,
    validate_message,
    verdict_message,
)
from bot.slack.flows import MessageSurface, check, follow_up, help_for, later
from bot.slack.services import Services
from bot.slack.text import to_plain
from bot.workflow import Actor


def converse(
    services: Services,
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    user: str,
    raw_text: str,
) -> None:
    intent = classify(to_plain(raw_text))

    def post(msg: dict[str, object]) -> str:
        resp = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, unfurl_links=False, **validate_message(msg)
        )
        return str(resp["ts"])

    if intent.kind == "command" and intent.command == "watch":
        # Confidential: only in the person's DM with the app, never in a channel's thread.
        private = channel.startswith("D")
        reply = services.watch(intent.body, by=Actor("slack", user)) if private else None
        post(text_message(reply or texts.WATCH_PRIVATE_ONLY))
        return
    if intent.kind in ("help", "command"):
        post(help_for(services, user))
        return
    if intent.kind == "draft":
        ref = DraftRef(intent.body, check=new_check())
        try:
            verdict = check(services, ref)
        except InputError as exc:
            post(text_message(texts.cant_check(exc)))
            return
        ts = post(
            verdict_message(
                verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled
            )
        )
        surface = MessageSurface(services, client, channel, ts)
        follow_up(services, surface, ref, verdict, author=Actor("slack", user))
        return
    question = intent.body
    # The DM thread or the mention's thread is one conversation per person.
    thread, by = f"{channel}:{thread_ts}", Actor("slack", user)
    if not services.llm_enabled:
        post(answer_message(services.answer(question, use_llm=False, thread=thread, by=by)))
        return
    ts = post(pending_message(texts.LOOKING_UP))

    def work() -> None:
        msg = validate_message(
            answer_message(services.answer(question, use_llm=None, thread=thread, by=by))
        )
        client.chat_update(channel=channel, ts=ts, **msg)

    later(services, "answer", work, tell=lambda m: client.chat_update(channel=channel, ts=ts, **m))
