"""The steps listeners share: check a draft, follow up with the LLM, submit, report errors.

A *surface* is wherever a verdict is on screen: an ephemeral or bot message
(updated through its ``response_url``), a bot message we posted (``chat.update``)
or a modal (``views.update``). Flows render to a surface and do not care which.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.errors import CanipostError, InputError
from bot.slack.blocks import (
    Message,
    error_message,
    home_view,
    text_message,
    validate_message,
    validate_view,
    verdict_message,
    verdict_view,
)
from bot.slack.client import retry_handlers
from bot.slack.notifier import on_behalf_of
from bot.slack.services import Services, new_reference
from bot.slack.values import DraftRef
from bot.verdict import Draft, Severity, Verdict
from bot.workflow import Actor, JustificationRequired, Refusal, Submission

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


def to_draft(ref: DraftRef) -> Draft:
    return Draft(ref.text, channel=ref.channel, id=ref.check_id or None, on_behalf=ref.on_behalf)


class Surface(Protocol):
    """Somewhere a verdict is shown, which we can redraw."""

    def show_verdict(self, verdict: Verdict, draft: DraftRef, **kw: Any) -> None: ...

    def say(self, text: str) -> None: ...


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
    started = time.perf_counter()
    verdict = services.review_rules(to_draft(ref))
    services.observe("rules", time.perf_counter() - started)
    log.info(
        "checked draft check=%s decision=%s findings=%d",
        ref.check_id,
        verdict.decision.label,
        len(verdict.findings),
    )
    return verdict


def follow_up(
    services: Services,
    surface: Surface,
    ref: DraftRef,
    rules_verdict: Verdict,
    *,
    author: Actor,
) -> None:
    """After the ack: the LLM critique (when on), then auto-send when configured.

    Runs on the slow pool. The rules verdict stays on screen meanwhile; the
    LLM can add findings and a rewrite but never lowers the decision.
    """
    auto = services.auto_send and rules_verdict.decision == Severity.NEEDS_APPROVAL
    if not services.llm_enabled and not auto:
        return

    def work() -> None:
        verdict = rules_verdict
        if services.llm_enabled:
            started = time.perf_counter()
            verdict = services.review_full(to_draft(ref))
            services.observe("llm", time.perf_counter() - started)
        if auto and verdict.decision == Severity.NEEDS_APPROVAL:
            submit(services, surface, ref, author=author, verdict=verdict)
        else:
            surface.show_verdict(verdict, ref)

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
    """Queue the draft for approval (once per check) and redraw the verdict with its state.

    The check id makes this idempotent: a double click, a Slack retry or a
    second worker replays the first submission instead of queueing another.
    """
    if verdict is None:
        verdict = (
            services.review_full(to_draft(ref)) if services.llm_enabled else check(services, ref)
        )
    key = f"slack:submit:{ref.check_id}" if ref.check_id else None
    try:
        sub = services.workflow.submit(
            text=ref.text,
            verdict=verdict,
            author=author,
            channel=ref.channel,
            note=note,
            message_refs={"slack_origin": {"on_behalf": ref.on_behalf}},
            idempotency_key=key,
        )
    except JustificationRequired:
        surface.show_verdict(
            verdict, ref, notice="The review now says do not post: send it with your reasons."
        )
        return None
    except Refusal as exc:
        surface.say(f"Not sent: {exc}")
        return None
    services.deliver()
    surface.show_verdict(verdict, ref, submitted=sub)
    return sub


def publish_home(
    services: Services, client: WebClient, user_id: str, *, notice: str | None = None
) -> None:
    """Draw the App Home: the person's recent submissions; approvers also see the queue."""
    wf = services.workflow
    mine = [s for s in wf.submissions(author=user_id, limit=30) if s.author.platform == "slack"]
    queue = None
    if wf.is_configured_approver(Actor("slack", user_id)):
        # submissions() is newest first; approvers work oldest first.
        queue = list(reversed(wf.submissions(state="pending", limit=500)))
    view = home_view(mine=mine[:15], queue=queue, notice=notice)
    client.views_publish(user_id=user_id, view=validate_view(view))


def redraw_submission(surface: Surface, sub: Submission) -> None:
    """Show a submission's verdict and state where the author clicked."""
    ref = DraftRef(sub.text or "", sub.channel, on_behalf_of(sub), "")
    surface.show_verdict(sub.verdict, ref, submitted=sub)


def refusal_text(exc: Refusal) -> str:
    """A refusal in words for the person who clicked."""
    reason = exc.reason
    if reason == "not_an_approver":
        return "Only comms approvers can decide on drafts."
    if reason == "own_draft":
        return "You can't decide on your own draft; another approver must."
    if reason == "second_approver_required":
        return "You gave the first approval; a different approver must give the second."
    if reason == "not_the_author":
        return "Only the author can withdraw this draft."
    return str(exc)


def report_error(
    exc: BaseException,
    *,
    what: str,
    tell: Callable[[Message], Any] | None,
) -> str:
    """Log the failure with a reference id, and tell the person that reference only.

    Our own errors (:class:`CanipostError`) are fit to show as they are; anything
    else is logged with its traceback and shown as a friendly apology.
    """
    ref = new_reference()
    if isinstance(exc, CanipostError):
        log.info("%s refused (ref %s): %s", what, ref, type(exc).__name__)
        msg = text_message(f"{exc} (reference {ref})")
    else:
        log.error("%s failed (ref %s): %s", what, ref, type(exc).__name__, exc_info=exc)
        msg = error_message(ref)
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
