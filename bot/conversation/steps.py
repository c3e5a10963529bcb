"""The steps of a conversation, platform-neutral: check, follow up, submit, decide, withdraw, ask.

A surface (Slack, Teams, the dashboard) calls a step and renders what comes
back. Steps block (database, review, LLM): Slack runs them on its pools,
Teams on its executor; none touches a platform API. The workflow decides
everything about the queue (who may act, auto-send, idempotency keys); the
steps only translate its answers into screens and words.

    convo = Conversation.build(config=cfg, workflow=wf)
    screen = convo.submit(ref, author=Actor("teams", "aad-1"), where={"place": {...}})
    render(screen.verdict, screen.ref, submitted=screen.submitted, notice=screen.notice)
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import adapters as _adapters
from bot.config import Config
from bot.conversation import texts
from bot.conversation.refs import DraftRef, origin_refs
from bot.errors import CanipostError, InputError
from bot.verdict import Draft, Verdict
from bot.workflow import Actor, JustificationRequired, Refusal, Submission, Workflow
from bot.workflow.keys import submit_key

log = logging.getLogger("canipost.conversation")

Reviewer = _adapters.Reviewer
Asker = _adapters.Asker
CheckObserver = Callable[[Verdict, DraftRef, str], None]
#: A policy question in a conversation: (question, use_llm, thread key, who) -> the Answer's JSON.
ThreadAsker = Callable[[str, bool | None, str, Actor], dict[str, Any]]


def new_reference() -> str:
    """A short id a person can quote to the admins; the log line carries the same id."""
    return secrets.token_hex(4)


def report_error(exc: BaseException, *, what: str) -> tuple[str, str]:
    """Log a failure with a reference id; ``(reference, what to tell the person)``.

    Our own errors (:class:`CanipostError`) are fit to show as they are and are
    logged without a traceback; anything else is logged in full and shown as
    an apology with the reference only.
    """
    ref = new_reference()
    if isinstance(exc, CanipostError):
        log.info("%s refused (ref %s): %s", what, ref, type(exc).__name__)
        return ref, texts.refused_with_reference(exc, ref)
    log.error("%s failed (ref %s): %s", what, ref, type(exc).__name__, exc_info=exc)
    return ref, texts.error_report(ref)


@dataclass(frozen=True, slots=True)
class VerdictScreen:
    """A verdict to show: the draft it is about, its submission (once sent), a notice."""

    verdict: Verdict
    ref: DraftRef
    submitted: Submission | None = None
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A queue action's result: the submission as it now stands, or a refusal in words."""

    submission: Submission | None = None
    refusal: str | None = None


def _thread_asker(config: Config) -> ThreadAsker:
    """``bot.ask.ask_in_thread`` bound to ``config`` and the process's database."""
    store_box: list[Any] = []

    def ask(question: str, use_llm: bool | None, thread: str, by: Actor) -> dict[str, Any]:
        from bot.ask import ask_in_thread
        from bot.store import open_store

        if not store_box:
            store_box.append(open_store())
        answer = ask_in_thread(
            question,
            thread_key=thread,
            user=by.id,
            platform=by.platform,
            config=config,
            store=store_box[0],
            use_llm=use_llm,
        )
        result: dict[str, Any] = answer.to_dict()
        return result

    return ask


def _watch_line(entry: Any) -> str:
    until = f" until {entry.until:%Y-%m-%d}" if entry.until else ""
    return f"{entry.id} · {entry.kind}: {entry.term}{until}"


def to_draft(ref: DraftRef) -> Draft:
    return Draft(ref.text, channel=ref.channel, id=ref.check or None, on_behalf=ref.on_behalf)


@dataclass(kw_only=True)
class Conversation:
    """Everything a surface's handlers may use; one per process, shared by all threads."""

    config: Config
    workflow: Workflow
    review_rules: Reviewer
    review_full: Reviewer
    ask: Asker | None
    llm_enabled: bool
    titles: Mapping[str, str] = field(default_factory=dict)
    #: Called with (stage, seconds) for latency metrics; no-op by default.
    observe: Callable[[str, float], None] = lambda _stage, _seconds: None
    #: Asks for the workflow's outbox to be delivered soon. Handlers record (a few ms of
    #: database work, so the platform's ack is never held up by its API calls) and call
    #: this; the server's outbox pump does the sending.
    deliver: Callable[[], None] = lambda: None
    #: Questions in a chat thread (Slack thread, Teams conversation) remembered as one
    #: conversation (``bot.ask.ask_in_thread``); None answers each question on its own.
    ask_thread: ThreadAsker | None = None
    #: Which surface this is (``slack``, ``teams``): what observers and audit see.
    platform: str = ""
    #: Called with (verdict, draft ref, platform) after every check; must return at once
    #: (the host wires the dashboard's counter here; nothing below the surfaces knows it).
    check_observers: list[CheckObserver] = field(default_factory=list)

    @staticmethod
    def parts(
        config: Config,
        *,
        reviewer: Reviewer | None = None,
        asker: Asker | None = None,
        llm_enabled: bool | None = None,
        deliver: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """The shared fields with their defaults: the real review, ``bot.ask``, LLM when set.

        Loads the policy now, so the first message is answered as fast as the rest.
        """
        from bot.review import review, review_rules

        def rules(draft: Draft) -> Verdict:
            return review_rules(draft, config=config)

        def full(draft: Draft) -> Verdict:
            return review(draft, config=config)

        return {
            "config": config,
            "review_rules": rules,
            "review_full": reviewer or full,
            "ask": asker if asker is not None else _adapters.asker(config),
            # A stand-in asker answers on its own; the real one keeps the thread.
            "ask_thread": _thread_asker(config) if asker is None else None,
            "llm_enabled": _adapters.llm_enabled(config) if llm_enabled is None else llm_enabled,
            "titles": _adapters.policy_titles(config),
            "deliver": deliver or (lambda: None),
        }

    @classmethod
    def build(cls, *, config: Config, workflow: Workflow, **kw: Any) -> Conversation:
        """A conversation with the defaults of :meth:`parts` (``kw`` overrides them)."""
        return cls(workflow=workflow, **cls.parts(config, **kw))

    # ------------------------------------------------------------------ review

    def check(self, ref: DraftRef) -> Verdict:
        """The rules verdict: fast (about a millisecond), so it is the first thing shown."""
        started = time.perf_counter()
        verdict = self.review_rules(to_draft(ref))
        self.observe("rules", time.perf_counter() - started)
        log.info(
            "checked draft decision=%s findings=%d", verdict.decision.label, len(verdict.findings)
        )
        for observer in self.check_observers:  # e.g. the dashboard's text-free count
            observer(verdict, ref, self.platform)
        return verdict

    def full_review(self, ref: DraftRef) -> Verdict:
        """The verdict with the LLM critique merged in (the rules verdict when it is off)."""
        if not self.llm_enabled:
            return self.check(ref)
        started = time.perf_counter()
        verdict = self.review_full(to_draft(ref))
        self.observe("llm", time.perf_counter() - started)
        return verdict

    def auto_sends(self, verdict: Verdict) -> bool:
        """Whether this verdict goes to comms without a click (the workflow decides)."""
        return self.workflow.auto_sends(verdict)

    def wants_follow_up(self, rules_verdict: Verdict) -> bool:
        """Whether :meth:`follow_up` has anything to do after the first screen."""
        return self.llm_enabled or self.auto_sends(rules_verdict)

    def follow_up(
        self, ref: DraftRef, rules_verdict: Verdict, *, author: Actor, where: Mapping[str, Any]
    ) -> VerdictScreen:
        """After the first screen: the LLM critique (when on), then auto-send when due.

        The LLM can add findings and a rewrite but never lowers the decision;
        ``where`` is what the surface records about the author's chat.
        """
        verdict = self.full_review(ref) if self.llm_enabled else rules_verdict
        if self.auto_sends(verdict):
            return self.submit(ref, author=author, where=where, verdict=verdict)
        return VerdictScreen(verdict, ref)

    # ------------------------------------------------------------------ the queue

    def submit(
        self,
        ref: DraftRef,
        *,
        author: Actor,
        where: Mapping[str, Any],
        note: str | None = None,
        verdict: Verdict | None = None,
    ) -> VerdictScreen:
        """Queue the draft for approval, once per check; the verdict with its new state.

        Refusals come back as a notice on the same verdict: a ``do_not_post``
        draft without reasons asks for them, anything else says why not.
        """
        verdict = verdict or self.full_review(ref)
        try:
            sub = self.workflow.submit(
                text=ref.text,
                verdict=verdict,
                author=author,
                channel=ref.channel,
                note=note,
                message_refs=origin_refs(author.platform, ref, **where),
                idempotency_key=submit_key(author.platform, ref.check),
            )
        except JustificationRequired:
            return VerdictScreen(verdict, ref, notice=texts.JUSTIFY_NOW)
        except Refusal as exc:
            return VerdictScreen(verdict, ref, notice=texts.not_sent(exc))
        self.deliver()
        return VerdictScreen(verdict, ref, submitted=sub)

    def decide(
        self, sid: str, verb: str, *, by: Actor, note: str | None, key: str | None
    ) -> Outcome:
        """An approver's decision; the outbox then updates every card and tells the author."""
        try:
            sub = self.workflow.decide(sid, verb, by=by, note=note, idempotency_key=key)
        except Refusal as exc:
            return Outcome(refusal=texts.refusal_text(exc))
        self.deliver()
        return Outcome(submission=sub)

    def may_decide(self, sid: str, by: Actor) -> str | None:
        """Why ``by`` could not decide on ``sid`` now (before asking them for a note)."""
        refusal = self.workflow.refusal_for_decision(sid, by)
        return texts.refusal_text(refusal) if refusal is not None else None

    def withdraw(self, sid: str, *, by: Actor, key: str | None) -> Outcome:
        """The author takes a pending draft back."""
        try:
            sub = self.workflow.withdraw(sid, by=by, idempotency_key=key)
        except Refusal as exc:
            return Outcome(refusal=texts.refusal_text(exc))
        self.deliver()
        return Outcome(submission=sub)

    def home(self, actor: Actor) -> tuple[list[Submission], list[Submission] | None]:
        """A person's recent submissions here, and (approvers only) the queue oldest first."""
        wf = self.workflow
        mine = [
            s
            for s in wf.submissions(author=actor.id, limit=30)
            if s.author.platform == actor.platform
        ]
        queue = None
        if wf.is_approver(actor):  # the workspace's check: its approver user group too
            queue = list(reversed(wf.submissions(state="pending", limit=500)))
        return mine[:15], queue

    # ------------------------------------------------------------------ feedback

    def feedback(
        self,
        ref: DraftRef,
        *,
        by: Actor,
        expected: str,
        categories: list[str] | None = None,
        note: str | None = None,
    ) -> str:
        """A "Was this right?" report on a verdict; the reply for the reporter.

        Stored redacted by :mod:`bot.feedback` (an approver's report counts at
        once, anyone else's waits for an approver); bad input raises
        :class:`~bot.errors.InputError` naming the allowed values.
        """
        from bot.feedback import add_feedback

        item = add_feedback(
            self.workflow.store,
            self.config,
            text=ref.text,
            expected=expected,
            by=by.id,
            platform=by.platform,
            categories=categories,
            note=note,
            # the workflow's check: a Slack approver user group's member counts at once too
            approver=self.workflow.is_approver(by),
        )
        log.info("feedback %s from %s:%s (%s)", item.id, by.platform, by.id, item.kind)
        return texts.feedback_thanks(item.status, item.kind)

    def pending_feedback(self, actor: Actor) -> list[Any] | None:
        """Reports awaiting an approver, oldest first, for approvers only (None for anyone else).

        Approvers as the workflow decides: a Slack workspace's approver user group too.
        """
        if not self.workflow.is_approver(actor):
            return None
        from bot.feedback import list_feedback

        return list(reversed(list_feedback(self.workflow.store, self.config, pending=True)))

    def review_feedback(self, feedback_id: str, *, confirm: bool, by: Actor) -> str:
        """An approver confirms (it counts for training) or dismisses someone's report."""
        from bot.feedback import NotAnApprover, UnknownFeedback
        from bot.feedback import confirm as confirm_report
        from bot.feedback import dismiss as dismiss_report

        act = confirm_report if confirm else dismiss_report
        try:
            item = act(
                self.workflow.store,
                self.config,
                feedback_id,
                by=by.id,
                platform=by.platform,
                approver=self.workflow.is_approver(by),
            )
        except NotAnApprover:
            return texts.FEEDBACK_APPROVERS_ONLY
        except UnknownFeedback as exc:
            return str(exc)
        return texts.feedback_reviewed(item.id, item.status)

    # ------------------------------------------------------------------ watch list

    def _watch_list(self) -> Any:
        """The workspace's watch list, with the workflow's approver check (user groups too)."""
        from bot.watch.service import WatchList

        return WatchList(
            self.workflow.store, config=self.config, is_approver=self.workflow.is_approver
        )

    def watch(self, args: str, *, by: Actor) -> str:
        """``watch list | add <kind> <term> [until DATE] | remove <id>``, approvers only.

        The list is confidential: surfaces call this only where nobody else reads
        the answer (an ephemeral reply, a direct chat).
        """
        from bot.watch.kinds import KINDS
        from bot.watch.service import WatchRefused

        wl = self._watch_list()
        words = args.split()
        action = words[0].lower() if words else "list"
        how = texts.WATCH_HOW.format(kinds=", ".join(KINDS))
        try:
            if action == "list":
                entries = wl.entries(viewer=by)
                if not entries:
                    return "The watch list is empty.\n" + how
                return "\n".join(_watch_line(e) for e in entries)
            if action == "add" and len(words) >= 3:
                rest = args.split(None, 2)[2]
                term, _, until = rest.partition(" until ")
                entry = wl.add(term.strip(), kind=words[1], by=by, until=until.strip() or None)
                return f"Added {_watch_line(entry)}. Every check flags it within a second."
            if action == "remove" and len(words) == 2:
                entry = wl.remove(words[1], by=by)
                return f"Removed {_watch_line(entry)}."
        except WatchRefused:
            return texts.WATCH_APPROVERS_ONLY
        except InputError as exc:
            return str(exc)
        return how

    def watch_entries(self, actor: Actor) -> list[Any] | None:
        """The active watch list for an approver's view; None for anyone else."""
        wl = self._watch_list()
        return wl.entries(viewer=actor) if wl.is_approver(actor) else None

    def watch_add(
        self, term: str, *, kind: str, by: Actor, until: str | None = None, note: str | None = None
    ) -> str:
        """Add an entry from a form; the reply for the approver (or why not)."""
        from bot.watch.service import WatchRefused

        try:
            entry = self._watch_list().add(
                term, kind=kind, by=by, until=until or None, note=note or None
            )
        except WatchRefused:
            return texts.WATCH_APPROVERS_ONLY
        return f"Added {_watch_line(entry)}. Every check flags it within a second."

    # ------------------------------------------------------------------ questions

    def answer(
        self,
        question: str,
        *,
        use_llm: bool | None,
        thread: str | None = None,
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """A policy answer with citations (``bot.ask``'s JSON).

        With ``thread`` (and ``by``) the question is one turn of that person's
        conversation in the thread: "what about on my personal account?" is
        read against what they asked before.
        """
        if thread and by is not None and self.ask_thread is not None:
            return self.ask_thread(question, use_llm, thread, by)
        if self.ask is None:
            return {"answer": texts.NO_QUESTIONS, "citations": [], "llm": "off"}
        return self.ask(question, use_llm)
