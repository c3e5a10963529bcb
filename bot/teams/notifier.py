"""The workflow's messages, carried by Teams: a card in the approvers' channel, news to authors.

``submitted`` posts the approval card to ``CANIPOST_TEAMS_APPROVERS_CHANNEL``
and returns ``{"teams": {"conversation", "activity", "service_url", ...}}``,
which the workflow stores so every later message updates that card in place
for everyone (decisions, withdrawal, expiry) or replies under it (reminders,
escalations). Authors who asked in Teams hear the outcome in the chat where
they asked, through the conversation saved at submit time
(``message_refs["teams_origin"]``).

Delivery is retried by the workflow's outbox, so methods are safe to repeat:
``submitted`` updates the card it already posted rather than posting again.
The workflow calls notifiers on a worker thread; each call runs its Bot
Connector requests on the :class:`~bot.teams.messenger.LoopThread` and waits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.teams.cards import approval_card, author_card, author_line
from bot.teams.messenger import LoopThread, Messenger, Place, card_activity, text_activity
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Submission

log = logging.getLogger("canipost.teams.notifier")

ORIGIN_KEY = "teams_origin"


def _age(sub: Submission) -> str:
    minutes = int((datetime.now(UTC) - sub.created_at).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def origin_of(sub: Submission) -> dict[str, Any]:
    """What the Teams side recorded at submit time (the author's chat, posting for whom)."""
    origin = sub.message_refs.get(ORIGIN_KEY)
    return origin if isinstance(origin, dict) else {}


def on_behalf_of(sub: Submission) -> bool | None:
    value = origin_of(sub).get("on_behalf")
    return value if isinstance(value, bool) else None


class TeamsNotifier:
    """A :class:`bot.workflow.Notifier` speaking to Teams through the Agents SDK."""

    def __init__(
        self,
        messenger: Messenger,
        *,
        channel: str | None,
        service_url: str,
        tenant_id: str | None,
        titles: Mapping[str, str],
        runner: LoopThread | None = None,
    ) -> None:
        self.messenger = messenger
        self.channel = channel
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.titles = titles
        self.runner = runner or LoopThread()

    # ------------------------------------------------------------------ helpers

    def _card_ref(self, sub: Submission) -> tuple[Place, str] | None:
        ref = sub.message_refs.get("teams")
        if not isinstance(ref, dict) or not ref.get("activity"):
            return None
        place = Place.from_dict(ref)
        return (place, str(ref["activity"])) if place is not None else None

    def _card(self, sub: Submission) -> Any:
        card = approval_card(sub, titles=self.titles, on_behalf=on_behalf_of(sub))
        return card_activity(
            card, summary=f"Draft {sub.id} for approval ({sub.state.replace('_', ' ')})"
        )

    def _update_card(self, sub: Submission) -> None:
        found = self._card_ref(sub)
        if found is None:
            return
        place, activity_id = found
        self.runner.run(self.messenger.update(place, activity_id, self._card(sub)))

    def _reply(self, sub: Submission, text: str) -> None:
        found = self._card_ref(sub)
        if found is None:
            log.warning("no Teams approval card for %s: note not posted", sub.id)
            return
        place, activity_id = found
        self.runner.run(self.messenger.send(place.thread(activity_id), text_activity(text)))

    def _tell_author(self, sub: Submission) -> None:
        if sub.author.platform != "teams":
            return
        place = Place.from_dict(origin_of(sub).get("place") or {})
        if place is None:
            log.warning("no Teams chat recorded for the author of %s", sub.id)
            return
        activity = card_activity(author_card(sub), summary=author_line(sub))
        # Their own chat with the bot, never the channel they asked in: notes can be sensitive.
        self.runner.run(self.messenger.tell(place, activity))

    # ------------------------------------------------------------------ Notifier

    def submitted(self, submission: Submission) -> MessageRefs | None:
        if self._card_ref(submission) is not None:  # a retried delivery: the card exists
            self._update_card(submission)
            return None
        if not self.channel:
            log.warning(
                "CANIPOST_TEAMS_APPROVERS_CHANNEL is not set: no Teams card posted for %s",
                submission.id,
            )
            return None
        place = Place(self.channel, self.service_url, tenant_id=self.tenant_id)
        activity_id = self.runner.run(self.messenger.send(place, self._card(submission)))
        if not activity_id:
            raise ConnectionError("the Bot Connector returned no id for the approval card")
        return {"teams": {**place.to_dict(), "activity": activity_id}}

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        first = submission.approvals[0].by if submission.approvals else None
        who = (first.name or first.id) if first else "an approver"
        self._reply(submission, f"Approved by {who}; a second approver must decide.")
        return None

    def decided(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._tell_author(submission)
        return None

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._reply(submission, "↩️ The author withdrew this draft.")
        return None

    def reminder(self, submission: Submission) -> MessageRefs | None:
        self._reply(
            submission, f"⏰ Reminder: this draft has waited {_age(submission)} for a decision."
        )
        return None

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        who = ", ".join(backup)
        self._reply(
            submission,
            f"🚨 Escalation: this draft has waited {_age(submission)}. "
            + (f"{who}: can you decide?" if who else "No backup approvers are configured."),
        )
        return None

    def expired(self, submission: Submission) -> MessageRefs | None:
        self._update_card(submission)
        self._tell_author(submission)
        return None
