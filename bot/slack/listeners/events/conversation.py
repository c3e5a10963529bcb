"""What DMs and mentions share: tell a draft from a question, and answer in the thread."""

from __future__ import annotations

import re

from slack_sdk import WebClient

from bot.errors import InputError
from bot.slack.blocks import (
    answer_message,
    help_message,
    pending_message,
    text_message,
    validate_message,
    verdict_message,
)
from bot.slack.flows import MessageSurface, check, follow_up, later
from bot.slack.services import Services
from bot.slack.text import to_plain
from bot.slack.values import DraftRef, new_check_id
from bot.workflow import Actor

#: "can I post: ...", "can i post this: ...", "check: ...", "review this - ..."
DRAFT_PREFIX = re.compile(
    r"^\s*(?:can\s+i\s+(?:post|tweet|share)(?:\s+this)?|check(?:\s+this)?|review(?:\s+this)?)"
    r"\s*[:\-–—]\s*(?P<draft>.+)$",
    re.IGNORECASE | re.DOTALL,
)


def draft_in(text: str) -> str | None:
    """The draft in a "can I post: ..." message, or None for anything else (a question)."""
    m = DRAFT_PREFIX.match(text)
    return m.group("draft").strip() if m else None


def converse(
    services: Services,
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    user: str,
    raw_text: str,
) -> None:
    text = to_plain(raw_text).strip()

    def post(msg: dict[str, object]) -> str:
        resp = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, unfurl_links=False, **validate_message(msg)
        )
        return str(resp["ts"])

    if not text or text.lower() in ("help", "hi", "hello", "?"):
        post(help_message())
        return
    draft = draft_in(text)
    if draft is not None:
        ref = DraftRef(draft, check_id=new_check_id())
        try:
            verdict = check(services, ref)
        except InputError as exc:
            post(text_message(f"I can't check that: {exc}"))
            return
        ts = post(
            verdict_message(
                verdict, draft=ref, titles=services.titles, llm_pending=services.llm_enabled
            )
        )
        surface = MessageSurface(services, client, channel, ts)
        follow_up(services, surface, ref, verdict, author=Actor("slack", user))
        return
    asker = services.ask
    if asker is None:
        post(text_message("Policy questions aren't available in this installation yet."))
        return
    if not services.llm_enabled:
        post(answer_message(asker(text, False)))
        return
    ts = post(pending_message("Looking that up in the policy…"))

    def work() -> None:
        msg = validate_message(answer_message(asker(text, None)))
        client.chat_update(channel=channel, ts=ts, **msg)

    later(services, "answer", work, tell=lambda m: client.chat_update(channel=channel, ts=ts, **m))
