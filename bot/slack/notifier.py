"""The workflow's messages, carried by Slack: a card in the approvers' channel, DMs to authors.

``submitted`` posts the card to ``CANIPOST_APPROVERS_CHANNEL`` and returns
``{"slack": {"channel", "ts"}}``, which the workflow stores so every later
message can update that card in place (``chat.update``) or thread under it
(reminders, escalations). Authors hear the outcome by DM
(``conversations.open`` + ``chat.postMessage``).

Delivery is retried by the workflow's outbox, so methods are written to be
safe to repeat: ``submitted`` updates the card it already posted rather than
posting a second one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient

from bot.slack.blocks import author_dm, card_message, thread_message, validate_message
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Submission

log = logging.getLogger("canipost.slack.notifier")

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _age(sub: Submission) -> str:
    minutes = int((datetime.now(UTC) - sub.created_at).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def on_behalf_of(sub: Submission) -> bool | None:
    """Whether the author posts for the organisation, as recorded at submit time."""
    origin = sub.message_refs.get("slack_origin") or {}
    value = origin.get("on_behalf") if isinstance(origin, dict) else None
    return value if isinstance(value, bool) else None


class SlackNotifier:
    """A :class:`bot.workflow.Notifier` speaking Slack's Web API."""

    def __init__(
        self, client: WebClient, *, channel: str | None, titles: Mapping[str, str]
    ) -> None:
        self.client = client
        self.channel = channel
        self.titles = titles

    # ------------------------------------------------------------------ helpers

    def _card_ref(self, sub: Submission) -> dict[str, Any] | None:
        ref = sub.message_refs.get("slack")
        if isinstance(ref, dict) and ref.get("channel") and ref.get("ts"):
            return ref
        return None

    def _card(self, sub: Submission) -> dict[str, Any]:
        return validate_message(card_message(sub, titles=self.titles, on_behalf=on_behalf_of(sub)))

    def _update_card(self, sub: Submission) -> None:
        ref = self._card_ref(sub)
        if ref is None:
            return
        self.client.chat_update(channel=ref["channel"], ts=ref["ts"], **self._card(sub))

    def _thread(self, sub: Submission, text: str) -> None:
        ref = self._card_ref(sub)
        channel = ref["channel"] if ref else self.channel
        if not channel:
            log.warning("no approvers' channel configured: %s note not posted", sub.id)
            return
        msg = validate_message(thread_message(text))
        self.client.chat_postMessage(
            channel=channel, thread_ts=ref["ts"] if ref else None, unfurl_links=False, **msg
        )

    def _dm_author(self, sub: Submission) -> None:
        if sub.author.platform != "slack":
            return
        opened = self.client.conversations_open(users=sub.author.id)
        channel = opened["channel"]["id"]
        self.client.chat_postMessage(
            channel=channel, unfurl_links=False, **validate_message(author_dm(sub))
        )

    # ------------------------------------------------------------------ Notifier

    def submitted(self, submission: Submission) -> MessageRefs | None:
        if self._card_ref(submission) is not None:  # a retried delivery: the card exists
            self._update_card(submission)
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

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        first = submission.approvals[0].by if submission.approvals else None
        who = f"<@{first.id}>" if first and first.platform == "slack" else "an approver"
        self._thread(submission, f"Approved by {who}; a second approver must decide.")
        return None

    def decided(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._dm_author(submission)
        return None

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._thread(submission, ":leftwards_arrow_with_hook: The author withdrew this draft.")
        return None

    def reminder(self, submission: Submission) -> MessageRefs | None:
        self._thread(
            submission,
            f":alarm_clock: Reminder: this draft has waited {_age(submission)} for a decision.",
        )
        return None

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        who = " ".join(f"<@{b}>" if _SLACK_USER.match(b) else b for b in backup)
        self._thread(
            submission,
            f":rotating_light: Escalation: this draft has waited {_age(submission)}. "
            + (f"{who}, can you decide?" if who else "No backup approvers are configured."),
        )
        return None

    def expired(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._dm_author(submission)
        return None
