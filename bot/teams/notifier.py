"""The workflow's messages, carried by Teams: a card in the approvers' channel, news to authors.

:class:`TeamsCarrier` does the three things the outbox asks of a surface
(:mod:`bot.conversation.notices`): ``update_card`` posts the approval card to
``CANIPOST_TEAMS_APPROVERS_CHANNEL`` once (its ``{"teams": {"conversation",
"activity", "service_url", ...}}`` is stored on the submission) and updates
it in place for everyone afterwards; ``reply`` answers under it;
``tell_author`` reaches an author who asked in Teams in their own chat with
the bot, through the conversation saved at submit time
(``message_refs["teams_origin"]``).

Safe to repeat: a retried first post updates the card it already posted.
The workflow calls notifiers on a worker thread; each call runs its Bot
Connector requests on the :class:`~bot.teams.messenger.LoopThread` and waits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from bot.conversation.notices import CardNotifier
from bot.conversation.refs import on_behalf_of, origin_key, origin_of
from bot.teams.cards import approval_card, author_card, author_line
from bot.teams.messenger import LoopThread, Messenger, Place, card_activity, text_activity
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Actor, Submission

log = logging.getLogger("canipost.teams.notifier")

ORIGIN_KEY = origin_key("teams")

__all__ = [
    "ORIGIN_KEY",
    "Target",
    "TeamsCarrier",
    "TeamsNotifier",
    "on_behalf_of",
]


class Target(NamedTuple):
    """Where one submission's approval card goes: its tenant's channel, tenant and approvers."""

    channel: str | None
    tenant_id: str | None
    approvers: Sequence[str]


class TeamsCarrier:
    """The outbox's three operations over the Agents SDK's Bot Connector client."""

    def __init__(
        self,
        messenger: Messenger,
        *,
        channel: str | None,
        service_url: str,
        tenant_id: str | None,
        titles: Mapping[str, str],
        runner: LoopThread | None = None,
        approvers: Sequence[str] = (),
        target: Callable[[Submission], Target] | None = None,
    ) -> None:
        self.messenger = messenger
        #: Per tenant (issue 16): where a submission's card goes and who may refresh it.
        self.target = target
        self.approvers = tuple(approvers)  # the card's refresh.userIds (issue 16)
        self.channel = channel
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.titles = titles
        self.runner = runner or LoopThread()

    def _card_ref(self, sub: Submission) -> tuple[Place, str] | None:
        ref = sub.message_refs.get("teams")
        if not isinstance(ref, dict) or not ref.get("activity"):
            return None
        place = Place.from_dict(ref)
        return (place, str(ref["activity"])) if place is not None else None

    def _target(self, sub: Submission) -> Target:
        """The submission's tenant's approvers' channel, tenant id and approvers."""
        if self.target is not None:
            return self.target(sub)
        return Target(self.channel, self.tenant_id, self.approvers)

    def _card(self, sub: Submission) -> Any:
        card = approval_card(
            sub,
            titles=self.titles,
            on_behalf=on_behalf_of(sub),
            approvers=self._target(sub).approvers,
        )
        return card_activity(
            card, summary=f"Draft {sub.id} for approval ({sub.state.replace('_', ' ')})"
        )

    def update_card(self, submission: Submission, *, post: bool = False) -> MessageRefs | None:
        found = self._card_ref(submission)
        if found is not None:
            place, activity_id = found
            self.runner.run(self.messenger.update(place, activity_id, self._card(submission)))
            return None
        if not post:
            return None
        target = self._target(submission)
        if not target.channel:
            log.warning(
                "no Teams approvers' channel (CANIPOST_TEAMS_APPROVERS_CHANNEL or the tenant's "
                "settings): no Teams card posted for %s",
                submission.id,
            )
            return None
        place = Place(target.channel, self.service_url, tenant_id=target.tenant_id)
        posted = self.runner.run(self.messenger.send(place, self._card(submission)))
        if not posted:
            raise ConnectionError("the Bot Connector returned no id for the approval card")
        return {"teams": {**place.to_dict(), "activity": posted}}

    def reply(self, submission: Submission, text: str) -> None:
        found = self._card_ref(submission)
        if found is None:
            log.warning("no Teams approval card for %s: note not posted", submission.id)
            return
        place, activity_id = found
        self.runner.run(self.messenger.send(place.thread(activity_id), text_activity(text)))

    def tell_author(self, submission: Submission) -> None:
        if submission.author.platform != "teams":
            return
        place = Place.from_dict(origin_of(submission).get("place") or {})
        if place is None:
            log.warning("no Teams chat recorded for the author of %s", submission.id)
            return
        activity = card_activity(author_card(submission), summary=author_line(submission))
        # Their own chat with the bot, never the channel they asked in: notes can be sensitive.
        self.runner.run(self.messenger.tell(place, activity))

    def who(self, actor: Actor) -> str:
        return actor.name or actor.id

    def mention(self, ident: str) -> str:
        return ident


class TeamsNotifier(CardNotifier):
    """A :class:`bot.workflow.Notifier` speaking Teams (the shared plan over :class:`TeamsCarrier`)."""

    def __init__(self, messenger: Messenger, **kw: Any) -> None:
        super().__init__(TeamsCarrier(messenger, **kw))
