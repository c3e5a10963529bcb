"""The workflow's messages, carried by Slack: a card in the approvers' channel, DMs to authors.

:class:`SlackCarrier` does the three things the outbox asks of a surface
(:mod:`bot.conversation.notices`): ``update_card`` posts the card to
``CANIPOST_APPROVERS_CHANNEL`` once (its ``{"slack": {"channel", "ts"}}`` is
stored on the submission) and edits it in place afterwards
(``chat.update``); ``reply`` threads under it; ``tell_author`` DMs the author
(``conversations.open`` + ``chat.postMessage``). Safe to repeat: a retried
first post edits the card it already posted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient

from bot.conversation.notices import CardNotifier
from bot.conversation.refs import on_behalf_of
from bot.slack.blocks import author_dm, card_message, thread_message, validate_message
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Actor, Submission

log = logging.getLogger("canipost.slack.notifier")

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")

__all__ = ["SlackCarrier", "SlackNotifier", "on_behalf_of"]


class SlackCarrier:
    """The outbox's three operations over Slack's Web API."""

    def __init__(
        self, client: WebClient, *, channel: str | None, titles: Mapping[str, str]
    ) -> None:
        self.client = client
        self.channel = channel
        self.titles = titles

    def _card_ref(self, sub: Submission) -> dict[str, Any] | None:
        ref = sub.message_refs.get("slack")
        if isinstance(ref, dict) and ref.get("channel") and ref.get("ts"):
            return ref
        return None

    def _card(self, sub: Submission) -> dict[str, Any]:
        return validate_message(card_message(sub, titles=self.titles, on_behalf=on_behalf_of(sub)))

    def update_card(self, submission: Submission, *, post: bool = False) -> MessageRefs | None:
        ref = self._card_ref(submission)
        if ref is not None:
            self.client.chat_update(channel=ref["channel"], ts=ref["ts"], **self._card(submission))
            return None
        if not post:
            return None
        if not self.channel:
            log.warning(
                "CANIPOST_APPROVERS_CHANNEL is not set: no card posted for %s", submission.id
            )
            return None
        resp = self.client.chat_postMessage(
            channel=self.channel, unfurl_links=False, unfurl_media=False, **self._card(submission)
        )
        return {"slack": {"channel": resp["channel"], "ts": resp["ts"]}}

    def reply(self, submission: Submission, text: str) -> None:
        ref = self._card_ref(submission)
        channel = ref["channel"] if ref else self.channel
        if not channel:
            log.warning("no approvers' channel configured: %s note not posted", submission.id)
            return
        msg = validate_message(thread_message(text))
        self.client.chat_postMessage(
            channel=channel, thread_ts=ref["ts"] if ref else None, unfurl_links=False, **msg
        )

    def tell_author(self, submission: Submission) -> None:
        if submission.author.platform != "slack":
            return
        opened = self.client.conversations_open(users=submission.author.id)
        self.client.chat_postMessage(
            channel=opened["channel"]["id"],
            unfurl_links=False,
            **validate_message(author_dm(submission)),
        )

    def who(self, actor: Actor) -> str:
        return f"<@{actor.id}>" if actor.platform == "slack" else "an approver"

    def mention(self, ident: str) -> str:
        return f"<@{ident}>" if _SLACK_USER.match(ident) else ident


class SlackNotifier(CardNotifier):
    """A :class:`bot.workflow.Notifier` speaking Slack (the shared plan over :class:`SlackCarrier`)."""

    def __init__(
        self, client: WebClient, *, channel: str | None, titles: Mapping[str, str]
    ) -> None:
        super().__init__(SlackCarrier(client, channel=channel, titles=titles))
