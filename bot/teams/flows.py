"""The steps Teams routes share: who is asking, check a draft, follow up, submit, report errors.

Every decision is the workflow's (:mod:`bot.workflow`); this module only
translates a Teams turn into its calls and renders what comes back, exactly
as :mod:`bot.slack.flows` does for Slack. Blocking calls run on the
services' pool; slow follow-ups (the LLM critique) run as background tasks
that redraw the card through the :class:`~bot.teams.messenger.Messenger`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from microsoft_agents.activity import Activity

from bot.errors import CanipostError, InputError
from bot.teams.cards import DraftRef, error_text, verdict_card
from bot.teams.messenger import Messenger, Place, card_activity, text_activity
from bot.teams.notifier import ORIGIN_KEY
from bot.teams.services import TeamsServices, new_reference
from bot.verdict import Draft, Severity, Verdict
from bot.workflow import Actor, JustificationRequired, Refusal, Submission

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


def to_draft(ref: DraftRef) -> Draft:
    return Draft(ref.text, channel=ref.channel, id=None, on_behalf=ref.on_behalf)


def check(services: TeamsServices, ref: DraftRef) -> Verdict:
    """The rules verdict: fast, so it is the first card the person sees."""
    started = time.perf_counter()
    verdict = services.review_rules(to_draft(ref))
    services.observe("rules", time.perf_counter() - started)
    log.info("checked draft decision=%s findings=%d", verdict.decision.label, len(verdict.findings))
    return verdict


def refusal_text(exc: Refusal) -> str:
    """A refusal in words for the person who clicked (only they see it)."""
    reason = exc.reason
    if reason == "not_an_approver":
        return "Only comms approvers can decide on drafts."
    if reason == "own_draft":
        return "You can't decide on your own draft; another approver must."
    if reason == "second_approver_required":
        return "You gave the first approval; a different approver must give the second."
    if reason == "not_the_author":
        return "Only the author can withdraw this draft."
    if reason == "note_required":
        return "Please add a note for the author first: it's needed to request changes or reject."
    return str(exc)


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
        ref = report_error(exc, what=what)
        try:
            await tell(error_text(ref) if not isinstance(exc, CanipostError) else f"{exc} ({ref})")
        except Exception:
            log.warning("could not tell the user about ref %s", ref, exc_info=True)


def report_error(exc: BaseException, *, what: str) -> str:
    """Log a failure with a reference id (our own errors without traceback); return the id."""
    ref = new_reference()
    if isinstance(exc, CanipostError):
        log.info("%s refused (ref %s): %s", what, ref, type(exc).__name__)
    else:
        log.error("%s failed (ref %s): %s", what, ref, type(exc).__name__, exc_info=exc)
    return ref


class Steps:
    """The flows, bound to one process's services, messenger and background tasks."""

    def __init__(
        self, services: TeamsServices, messenger: Messenger, background: Background
    ) -> None:
        self.services = services
        self.messenger = messenger
        self.background = background

    # ------------------------------------------------------------------ review

    def follow_up(
        self,
        place: Place,
        card_id: str,
        ref: DraftRef,
        rules_verdict: Verdict,
        *,
        author: Actor,
    ) -> None:
        """After the first card: the LLM critique (when on), then auto-send when configured.

        The rules verdict stays on screen meanwhile; the LLM can add findings
        and a rewrite but never lowers the decision. The card is updated in
        place (an update activity), as in Slack.
        """
        services = self.services
        auto = services.auto_send and rules_verdict.decision == Severity.NEEDS_APPROVAL
        if not services.llm_enabled and not auto:
            return

        async def work() -> None:
            verdict = rules_verdict
            if services.llm_enabled:
                started = time.perf_counter()
                verdict = await services.run(services.review_full, to_draft(ref))
                services.observe("llm", time.perf_counter() - started)
            submitted: Submission | None = None
            notice = None
            if auto and verdict.decision == Severity.NEEDS_APPROVAL:
                submitted, notice = await self.submit(ref, verdict, author=author, origin=place)
            card = verdict_card(
                verdict, draft=ref, titles=services.titles, submitted=submitted, notice=notice
            )
            await self.messenger.update(place, card_id, card_activity(card))

        async def tell(text: str) -> None:
            await self.messenger.send(place, text_activity(text))

        self.background.spawn(guarded("follow-up", work(), tell))

    # ------------------------------------------------------------------ submit

    async def submit(
        self,
        ref: DraftRef,
        verdict: Verdict,
        *,
        author: Actor,
        origin: Place | None,
        note: str | None = None,
    ) -> tuple[Submission | None, str | None]:
        """Queue the draft for approval, once per check; ``(submission, notice)``.

        The check key (from the Teams activity that asked for the review)
        makes this idempotent: a double click or a Teams retry replays the
        first submission. Refusals come back as a notice for the card.
        """
        services = self.services
        message_refs: dict[str, Any] = {ORIGIN_KEY: {"on_behalf": ref.on_behalf}}
        if origin is not None:
            message_refs[ORIGIN_KEY]["place"] = origin.to_dict()
        key = ref.check or None

        def record() -> Submission:
            return services.workflow.submit(
                text=ref.text,
                verdict=verdict,
                author=author,
                channel=ref.channel,
                note=note,
                message_refs=message_refs,
                idempotency_key=key,
            )

        try:
            sub = await services.run(record)
        except JustificationRequired:
            return None, "The review says do not post: tell comms why before sending it."
        except Refusal as exc:
            return None, f"Not sent: {refusal_text(exc)}"
        services.deliver()
        return sub, None

    def submit_later(
        self,
        ref: DraftRef,
        *,
        author: Actor,
        origin: Place | None,
        note: str | None,
        show: Callable[[Verdict, Submission | None, str | None], Awaitable[None]],
        tell: Callable[[str], Awaitable[Any]],
    ) -> None:
        """Submit with the full (LLM) review in the background, then ``show`` the outcome."""

        async def work() -> None:
            verdict = await self.services.run(self.services.review_full, to_draft(ref))
            sub, notice = await self.submit(ref, verdict, author=author, origin=origin, note=note)
            await show(verdict, sub, notice)

        self.background.spawn(guarded("submit", work(), tell))
