"""Teams' side of the conversation steps: run them off the event loop, redraw the cards.

Every step is :class:`~bot.conversation.Conversation`'s (check, follow up,
submit, decide, withdraw, ask) and every decision the workflow's; this module
turns a Teams turn into those calls and their :class:`VerdictScreen` into an
Adaptive Card. Blocking calls run on the services' pool; slow follow-ups (the
LLM critique) run as background tasks that redraw the card through the
:class:`~bot.teams.messenger.Messenger`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from microsoft_agents.activity import Activity

from bot.conversation.refs import DraftRef
from bot.conversation.steps import VerdictScreen, report_error
from bot.errors import InputError
from bot.teams.cards import Card, verdict_card
from bot.teams.messenger import Messenger, Place, card_activity, text_activity
from bot.teams.services import TeamsServices, TenantServices, tenant_of
from bot.verdict import Verdict
from bot.workflow import Actor

log = logging.getLogger("canipost.teams")


def actor_of(activity: Activity) -> Actor:
    """The Teams user behind an activity.

    The id is the Entra (AAD) object id when Teams sends one — stable across
    chats, channels and bots, and what ``approvers.teams`` lists — else the
    Teams user id. One id per person matters: "no self-approval" compares them.
    """
    account = activity.from_property
    if account is None or not (account.aad_object_id or account.id):
        raise InputError("this activity has no user")
    uid = account.aad_object_id or account.id
    return Actor("teams", str(uid), account.name or None)


def where(place: Place | None) -> dict[str, Any]:
    """What a submission records about the author's Teams chat (to tell them the outcome)."""
    return {"place": place.to_dict()} if place is not None else {}


@dataclass
class Background:
    """Tasks started after a turn (LLM follow-ups); kept referenced, cancelled at shutdown."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def join(self, timeout: float = 10.0) -> None:
        """Wait for running follow-ups (tests; graceful shutdown)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)

    async def cancel(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=5)


async def guarded(what: str, work: Awaitable[None], tell: Callable[[str], Awaitable[Any]]) -> None:
    """Run background ``work``; a failure reaches the person as a reference id only."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        ref, words = report_error(exc, what=what)
        try:
            await tell(words)
        except Exception:
            log.warning("could not tell the user about ref %s", ref, exc_info=True)


class Steps:
    """The conversation's steps, bound to one process's services, messenger and background tasks."""

    def __init__(
        self,
        services: TeamsServices,
        messenger: Messenger,
        background: Background,
        tenants: TenantServices | None = None,
    ) -> None:
        self.services = services
        self.messenger = messenger
        self.background = background
        #: Each tenant's services (its own config and data); None: one config for all.
        self.tenants = tenants

    def for_activity(self, activity: Activity) -> Steps:
        """These steps bound to the activity's tenant: its config, queue, audit and lists.

        Every route starts here, so no activity runs with another tenant's settings.
        """
        if self.tenants is None:
            return self
        services = self.tenants.for_tenant(tenant_of(activity))
        if services is self.services:
            return self
        return Steps(services, self.messenger, self.background, self.tenants)

    def card(self, screen: VerdictScreen, **kw: Any) -> Card:
        """A verdict screen as an Adaptive Card."""
        return verdict_card(
            screen.verdict,
            draft=screen.ref,
            titles=self.services.titles,
            submitted=screen.submitted,
            notice=screen.notice,
            **kw,
        )

    def later(
        self, what: str, place: Place, card_id: str | None, step: Callable[[], VerdictScreen]
    ) -> None:
        """Run a slow step in the background, then redraw card ``card_id`` (or send a new one)."""

        async def work() -> None:
            screen = await self.services.run(step)
            activity = card_activity(self.card(screen))
            if card_id:
                await self.messenger.update(place, card_id, activity)
            else:
                await self.messenger.send(place, activity)

        async def tell(text: str) -> None:
            await self.messenger.send(place, text_activity(text))

        self.background.spawn(guarded(what, work(), tell))

    def follow_up(
        self, place: Place, card_id: str, ref: DraftRef, rules_verdict: Verdict, *, author: Actor
    ) -> None:
        """After the first card: the LLM critique (when on), then auto-send when due."""
        convo = self.services
        if not convo.wants_follow_up(rules_verdict):
            return
        self.later(
            "follow-up",
            place,
            card_id,
            lambda: convo.follow_up(ref, rules_verdict, author=author, where=where(place)),
        )
