"""The queue's news on a chat surface: seven kinds of message, three operations.

A surface implements a :class:`Carrier` — update (or first post) the
approval card, reply in the card's thread, tell the author — and how to
name a person there. :class:`CardNotifier` turns it into the workflow's
:class:`~bot.workflow.Notifier`: the outbox calls one method per kind, and
:data:`PLAN` says which operations each kind uses, with the words from
:mod:`bot.conversation.texts`. Delivery is retried by the outbox, so
carriers must be safe to repeat (``update_card`` edits the card it already
posted rather than posting a second one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.conversation import texts
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Actor, Submission

log = logging.getLogger("canipost.conversation")


class Carrier(Protocol):
    """What a chat surface does for the outbox."""

    def update_card(self, submission: Submission, *, post: bool = False) -> MessageRefs | None:
        """Redraw the approval card; with ``post``, post it when there is none (its refs)."""

    def reply(self, submission: Submission, text: str) -> None:
        """A short note in the approval card's thread (reminders, escalations, withdrawals)."""

    def tell_author(self, submission: Submission) -> None:
        """Tell the author, privately, what happened to their draft (their own platform only)."""

    def who(self, actor: Actor) -> str:
        """A person as this surface names them (``<@U1>`` in Slack, a name in Teams)."""

    def mention(self, ident: str) -> str:
        """A configured id (e.g. a backup approver) as this surface names it."""


Step = Callable[[Carrier, Submission, Sequence[str]], None]


def _reply(words: Callable[[Carrier, Submission, Sequence[str]], str]) -> Step:
    def step(carrier: Carrier, sub: Submission, backup: Sequence[str]) -> None:
        carrier.reply(sub, words(carrier, sub, backup))

    return step


def _tell(carrier: Carrier, sub: Submission, _backup: Sequence[str]) -> None:
    carrier.tell_author(sub)


#: Kind → (redraw the card first?, then these steps).
PLAN: dict[str, tuple[bool, tuple[Step, ...]]] = {
    "submitted": (True, ()),
    "first_approval": (
        True,
        (_reply(lambda c, s, _b: texts.first_approval_note(s, c.who)),),
    ),
    "decided": (True, (_tell,)),
    "withdrawn": (True, (_reply(lambda _c, s, _b: texts.withdrawn_note(s)),)),
    "reminder": (False, (_reply(lambda _c, s, _b: texts.reminder_note(s)),)),
    "escalation": (
        False,
        (_reply(lambda c, s, b: texts.escalation_note(s, [c.mention(i) for i in b])),),
    ),
    "expired": (True, (_tell,)),
}


class CardNotifier:
    """A :class:`bot.workflow.Notifier` for any chat surface, given its :class:`Carrier`."""

    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier

    def _run(self, kind: str, sub: Submission, backup: Sequence[str] = ()) -> MessageRefs | None:
        redraw, steps = PLAN[kind]
        refs = self.carrier.update_card(sub, post=kind == "submitted") if redraw else None
        for step in steps:
            step(self.carrier, sub, backup)
        return refs

    def submitted(self, submission: Submission) -> MessageRefs | None:
        return self._run("submitted", submission)

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        return self._run("first_approval", submission)

    def decided(self, submission: Submission) -> MessageRefs | None:
        return self._run("decided", submission)

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        return self._run("withdrawn", submission)

    def reminder(self, submission: Submission) -> MessageRefs | None:
        return self._run("reminder", submission)

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        return self._run("escalation", submission, backup)

    def expired(self, submission: Submission) -> MessageRefs | None:
        return self._run("expired", submission)
