"""A direct message to the app: a policy question, or "can I post: ..." to review."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.flows import after_ack
from bot.slack.listeners.events.conversation import converse


def is_person_in_dm(event: dict[str, Any]) -> bool:
    """Only new messages people type in our DM; not edits, bots or our own posts."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def handle_message_im(event: dict[str, Any], client: WebClient, context: Any) -> None:
    services = context["canipost"]
    args = {
        "channel": str(event["channel"]),
        "thread_ts": str(event.get("thread_ts") or event["ts"]),
        "user": str(event["user"]),
        "raw_text": str(event.get("text") or ""),
    }
    after_ack(services, "conversation", lambda: converse(services, client, **args))
