"""``@canipost ...`` in a channel: a policy question, or "can I post: ..." to review."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.flows import after_ack
from bot.slack.listeners.events.conversation import converse
from bot.slack.text import strip_leading_mention


def handle_app_mention(event: dict[str, Any], client: WebClient, context: Any) -> None:
    services = context["canipost"]
    args = {
        "channel": str(event["channel"]),
        "thread_ts": str(event.get("thread_ts") or event["ts"]),
        "user": str(event.get("user") or ""),
        "raw_text": strip_leading_mention(str(event.get("text") or "")),
    }
    after_ack(services, "conversation", lambda: converse(services, client, **args))
