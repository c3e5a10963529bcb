"""``/canipost``: check a draft, open the form, show help, or answer a policy question.

The ack carries the answer itself whenever it is fast (the rules verdict
takes about a millisecond), so the person sees it at once; anything slow
(the LLM critique, an LLM answer) runs after the ack and redraws the message
through its ``response_url``.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.conversation import texts
from bot.errors import InputError
from bot.slack.blocks import (
    answer_message,
    check_modal,
    pending_message,
    text_message,
    validate_message,
    validate_view,
    verdict_message,
)
from bot.slack.flows import (
    ResponseUrlSurface,
    actor_from,
    after_ack,
    check,
    follow_up,
    help_for,
    later,
    report_error,
    send_to_response_url,
)
from bot.slack.services import Services
from bot.slack.text import to_plain
from bot.slack.values import DraftRef, new_check
from bot.verdict import CHANNELS, normalise_channel

_NETWORK_PREFIX = re.compile(
    r"^\s*(" + "|".join(re.escape(c) for c in CHANNELS) + r")\s*:\s*", re.IGNORECASE
)
HELP_WORDS = {"help", "-h", "--help", "?"}


def _watch_command(text: str) -> bool:
    """``watch``, ``watch list|add|remove ...`` (or a two-word slip such as ``watch lsit``,
    answered with the usage): the watch-list command. A draft that merely starts with the
    word ("Watch your phones at the market...") is a draft to check."""
    from bot.conversation.intents import COMMANDS

    words = text.split()
    sub = words[1].lower() if len(words) > 1 else ""
    return "\n" not in text and (sub in COMMANDS["watch"] or len(words) <= 2)


def split_network(text: str) -> tuple[str, str]:
    """``"linkedin: We're hiring"`` → ``("linkedin", "We're hiring")``; else ``("any", text)``."""
    m = _NETWORK_PREFIX.match(text)
    if m:
        return normalise_channel(m.group(1)), text[m.end() :]
    return "any", text


def handle_canipost(ack: Ack, body: dict[str, Any], client: WebClient, context: Any) -> None:
    try:
        _handle(ack, body, client, context["canipost"])
    except Exception as exc:
        if ack.response is not None:
            raise  # already acknowledged: the app's error handler answers via response_url
        # Not yet acknowledged: the apology (with its reference) is the acknowledgement.
        report_error(
            exc, what="slack /canipost", tell=lambda m: ack(response_type="ephemeral", **m)
        )


def _handle(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    text = to_plain(body.get("text") or "").strip()
    first = text.split(maxsplit=1)[0].lower() if text else ""
    if not text:
        ack()
        # The trigger expires 3 s after the click: use it before anything slow.
        view = validate_view(check_modal(metadata={"channel": body.get("channel_id")}))
        after_ack(
            services,
            "open form",
            lambda: client.views_open(trigger_id=body["trigger_id"], view=view),
            tell=lambda m: send_to_response_url(body["response_url"], m),
        )
        return
    if text.lower() in HELP_WORDS:  # only the word itself: "Help us raise £500..." is a draft
        ack(response_type="ephemeral", **validate_message(help_for(services, actor_from(body).id)))
        return
    if first == "ask":
        _ask(ack, body, services, text[len(first) :].strip())
        return
    if first == "watch" and _watch_command(text):
        # confidential: the answer is ephemeral, only the approver sees it
        reply = services.watch(text[len(first) :].strip(), by=actor_from(body))
        ack(response_type="ephemeral", **validate_message(text_message(reply)))
        return
    channel, draft_text = split_network(text)
    ref = DraftRef(draft_text, channel=channel, on_behalf=None, check=new_check())
    try:
        verdict = check(services, ref)
    except InputError as exc:
        ack(response_type="ephemeral", text=texts.cant_check(exc))
        return
    auto = services.auto_sends(verdict)
    msg = verdict_message(
        verdict,
        draft=ref,
        titles=services.titles,
        llm_pending=services.llm_enabled,
        sending=auto,
    )
    ack(response_type="ephemeral", **validate_message(msg))
    surface = ResponseUrlSurface(services, body["response_url"])
    follow_up(services, surface, ref, verdict, author=actor_from(body))


def _ask(ack: Ack, body: dict[str, Any], services: Services, question: str) -> None:
    if not question:
        ack(response_type="ephemeral", text=texts.ASK_HOW)
        return
    if not services.llm_enabled:
        answer = services.answer(question, use_llm=False)
        ack(
            response_type="ephemeral", **validate_message(answer_message(answer, question=question))
        )
        return
    ack(response_type="ephemeral", **validate_message(pending_message(texts.LOOKING_UP)))
    url = body["response_url"]

    def work() -> None:
        answer = services.answer(question, use_llm=None)
        send_to_response_url(url, answer_message(answer, question=question), replace=True)

    later(services, "ask", work, tell=lambda m: send_to_response_url(url, m, replace=True))
