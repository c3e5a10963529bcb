"""Slack's side of the conversation steps: surfaces to redraw, pools to run on, errors to report.

Every step is :class:`~bot.conversation.Conversation`'s and every decision
the workflow's; this module only runs them on the right pool and renders
their :class:`VerdictScreen` on a *surface*: an ephemeral or bot message
(updated through its ``response_url``), a bot message we posted
(``chat.update``) or a modal (``views.update``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.conversation import DraftRef, VerdictScreen
from bot.conversation.steps import report_error as _report
from bot.errors import CanipostError, InputError
from bot.slack.blocks import (
    Message,
    error_message,
    help_message,
    home_view,
    text_message,
    validate_message,
    validate_view,
    verdict_message,
    verdict_view,
)
from bot.slack.client import retry_handlers
from bot.slack.services import Services
from bot.verdict import Verdict
from bot.workflow import Actor, Submission

log = logging.getLogger("canipost.slack")


def send_to_response_url(url: str, msg: Message, *, replace: bool = False) -> None:
    """Post to a ``response_url`` (30 minutes, 5 uses), with our retry policy.

    Replacing keeps the original message's visibility; a new reply is ephemeral.
    """
    hook = WebhookClient(url, timeout=10, retry_handlers=retry_handlers())
    extra: dict[str, Any] = (
        {"replace_original": True}
        if replace
        else {
            "response_type": "ephemeral",
            "replace_original": False,
        }
    )
    resp = hook.send(**extra, **validate_message(msg))
    if resp.status_code >= 300:
        log.warning("response_url update failed: HTTP %s", resp.status_code)


def help_for(services: Services, user: str) -> Message:
    """The help this person may use: approvers (their user group too) also see the watch
    list and reports; where each workspace has settings (OAuth installs), those who may
    open them (its listed approvers, as :func:`bot.workspaces.may_administer`) see the
    settings shortcut."""
    approver = services.workflow.is_approver(Actor("slack", user))
    admin = services.workspace_settings and user in services.config.approvers.ids_for("slack")
    return help_message(approver=approver, admin=admin)


def actor_from(body: dict[str, Any]) -> Actor:
    """The Slack user behind a payload (commands, actions, views, events)."""
    user = body.get("user")
    if isinstance(user, dict):
        uid = user.get("id")
        name = user.get("username") or user.get("name")
    else:
        uid = body.get("user_id") or (body.get("event") or {}).get("user") or user
        name = body.get("user_name")
    if not uid:
        raise InputError("this request has no user")
    return Actor("slack", str(uid), str(name) if name else None)


class Surface(Protocol):
    """Somewhere a verdict is shown, which we can redraw."""

    def show_verdict(self, verdict: Verdict, draft: DraftRef, **kw: Any) -> None: ...

    def say(self, text: str) -> None: ...


def show(surface: Surface, screen: VerdictScreen) -> None:
    """Draw a conversation step's screen on ``surface``."""
    surface.show_verdict(
        screen.verdict, screen.ref, submitted=screen.submitted, notice=screen.notice
    )


class ResponseUrlSurface:
    """An ephemeral (or bot) message, redrawn through its ``response_url``."""

    def __init__(self, services: Services, response_url: str) -> None:
        self.services = services
        self.response_url = response_url

    def _send(self, msg: Message, *, replace: bool) -> None:
        send_to_response_url(self.response_url, msg, replace=replace)

    def show_verdict(self, verdict: Verdict, draft: DraftRef, **kw: Any) -> None:
        self._send(
            verdict_message(verdict, draft=draft, titles=self.services.titles, **kw), replace=True
        )

    def say(self, text: str) -> None:
        self._send(text_message(text), replace=False)


class MessageSurface:
    """A message the bot posted (DM or thread reply), redrawn with ``chat.update``."""

    def __init__(self, services: Services, client: WebClient, channel: str, ts: str) -> None:
        self.services, self.client, self.channel, self.ts = services, client, channel, ts

    def show_verdict(self, verdict: Verdict, draft: DraftRef, **kw: Any) -> None:
        msg = verdict_message(verdict, draft=draft, titles=self.services.titles, **kw)
        self.client.chat_update(channel=self.channel, ts=self.ts, **validate_message(msg))

    def say(self, text: str) -> None:
        self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.ts, **validate_message(text_message(text))
        )


class ViewSurface:
    """A verdict modal, redrawn with ``views.update``."""

    def __init__(self, services: Services, client: WebClient, view_id: str, user: str) -> None:
        self.services, self.client, self.view_id, self.user = services, client, view_id, user

    def show_verdict(self, verdict: Verdict, draft: DraftRef, **kw: Any) -> None:
        view = verdict_view(verdict, draft=draft, titles=self.services.titles, **kw)
        self.client.views_update(view_id=self.view_id, view=validate_view(view))

    def say(self, text: str) -> None:
        # A modal has no thread to reply in; the app's DM with the user is the next best place.
        self.client.chat_postMessage(channel=self.user, **validate_message(text_message(text)))


def surface_for(
    services: Services, client: WebClient, origin: dict[str, Any], user: str
) -> Surface | None:
    """Rebuild a surface from what a modal carried: ``{"r": url}``, ``{"v": id}`` or chat ts."""
    if origin.get("v"):
        return ViewSurface(services, client, str(origin["v"]), user)
    if origin.get("r"):
        return ResponseUrlSurface(services, str(origin["r"]))
    if origin.get("c") and origin.get("t"):
        return MessageSurface(services, client, str(origin["c"]), str(origin["t"]))
    return None


# ---------------------------------------------------------------------- the steps


def check(services: Services, ref: DraftRef) -> Verdict:
    """The rules verdict: fast (< 1 ms), so it is shown in the acknowledgement itself."""
    return services.check(ref)


def follow_up(
    services: Services,
    surface: Surface,
    ref: DraftRef,
    rules_verdict: Verdict,
    *,
    author: Actor,
) -> None:
    """After the ack, on the slow pool: the LLM critique (when on), then auto-send when due."""
    if not services.wants_follow_up(rules_verdict):
        return

    def work() -> None:
        show(surface, services.follow_up(ref, rules_verdict, author=author, where={}))

    later(services, "follow-up", work, tell=lambda m: surface.say(m["text"]))


def submit(
    services: Services,
    surface: Surface,
    ref: DraftRef,
    *,
    author: Actor,
    note: str | None = None,
    verdict: Verdict | None = None,
) -> Submission | None:
    """Queue the draft for approval (once per check) and redraw the verdict with its state."""
    screen = services.submit(ref, author=author, where={}, note=note, verdict=verdict)
    show(surface, screen)
    return screen.submitted


def publish_home(
    services: Services, client: WebClient, user_id: str, *, notice: str | None = None
) -> None:
    """Draw the App Home: the person's recent submissions; approvers also see the queue."""
    actor = Actor("slack", user_id)
    mine, queue = services.home(actor)
    reports = services.pending_feedback(actor)
    watch = services.watch_entries(actor)
    view = home_view(mine=mine, queue=queue, notice=notice, reports=reports, watch=watch)
    client.views_publish(user_id=user_id, view=validate_view(view))


def redraw_submission(surface: Surface, sub: Submission) -> None:
    """Show a submission's verdict and state where the author clicked."""
    show(surface, VerdictScreen(sub.verdict, DraftRef.of(sub), submitted=sub))


def report_error(
    exc: BaseException,
    *,
    what: str,
    tell: Callable[[Message], Any] | None,
) -> str:
    """Log the failure with a reference id, and tell the person that reference only."""
    ref, words = _report(exc, what=what)
    msg = text_message(words) if isinstance(exc, CanipostError) else error_message(ref)
    if tell is not None:
        try:
            tell(msg)
        except Exception:
            log.warning("could not tell the user about ref %s", ref, exc_info=True)
    return ref


def _guarded(
    what: str, fn: Callable[[], object], tell: Callable[[Message], Any] | None
) -> Callable[[], None]:
    def guarded() -> None:
        try:
            fn()
        except Exception as exc:
            report_error(exc, what=what, tell=tell)

    return guarded


def later(
    services: Services,
    what: str,
    fn: Callable[[], object],
    *,
    tell: Callable[[Message], Any] | None = None,
) -> None:
    """Run slow ``fn`` (LLM, submission) on the slow pool; a failure is told as a reference."""
    services.background.submit(_guarded(what, fn, tell))


def after_ack(
    services: Services,
    what: str,
    fn: Callable[[], object],
    *,
    tell: Callable[[Message], Any] | None = None,
) -> None:
    """Run quick ``fn`` (a Web API call, a decision) right after the ack has gone out.

    The app acknowledges as soon as a listener returns, so listeners return at
    once and leave their Web API calls to this pool: Slack's latency (or a
    429's Retry-After) never counts against the 3-second ack.
    """
    services.io.submit(_guarded(what, fn, tell))
