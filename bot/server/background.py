"""The server's own background work: the outbox pump and the periodic workflow tick.

Request handlers record with a workflow that has no notifier (database work
only, so acks never wait on a chat API) and call :meth:`OutboxPump.kick`;
the pump sends what the outbox holds right away on its own thread. The tick
(reminders, escalation, expiry, retries of failed deliveries) runs every
``workflow.tick_seconds``. Both are safe with several workers: the workflow
claims each notification and each transition with a conditional update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from bot.server.metrics import Metrics
from bot.workflow import Notifier, Workflow
from bot.workflow.notifier import MessageRefs
from bot.workflow.types import Submission

log = logging.getLogger("canipost.server")


class FanoutNotifier:
    """One :class:`Notifier` for the workflow, carrying each message to every platform.

    Platforms are added by their route installers. When one platform fails,
    the others' message refs are saved before the error is raised, with the
    names of the platforms that already carried this message (``SENT_KEY``), so
    the outbox retry goes only to the platform that failed: nobody gets the
    same DM or card twice.
    """

    SENT_KEY = "fanout_sent"  # message_refs[SENT_KEY][kind] = platforms already done

    def __init__(self) -> None:
        self.platforms: dict[str, Notifier] = {}
        self.workflow: Workflow | None = None

    def add(self, name: str, notifier: Notifier) -> None:
        self.platforms[name] = notifier

    def _each(self, kind: str, sub: Submission, **kw: Any) -> MessageRefs | None:
        if not self.platforms:
            return None
        refs: dict[str, Any] = {}
        errors: list[Exception] = []
        sent_map: dict[str, list[str]] = dict(sub.message_refs.get(self.SENT_KEY) or {})
        done = set(sent_map.get(kind, ()))
        for name, notifier in self.platforms.items():
            if name in done:
                continue  # carried on an earlier attempt
            try:
                got = getattr(notifier, kind)(sub, **kw)
            except Exception as exc:  # the outbox retries; the others must still go out
                log.warning("%s notifier failed on %s for %s", name, kind, sub.id)
                errors.append(exc)
                continue
            done.add(name)
            if got:
                refs.update(dict(got))
        if errors:
            if self.workflow is not None and done:
                sent_map[kind] = sorted(done)
                self.workflow.set_message_refs(sub.id, {**refs, self.SENT_KEY: sent_map})
            raise errors[0]
        return refs or None

    def submitted(self, submission: Submission) -> MessageRefs | None:
        return self._each("submitted", submission)

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        return self._each("first_approval", submission)

    def decided(self, submission: Submission) -> MessageRefs | None:
        return self._each("decided", submission)

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        return self._each("withdrawn", submission)

    def reminder(self, submission: Submission) -> MessageRefs | None:
        return self._each("reminder", submission)

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        return self._each("escalation", submission, backup=backup)

    def expired(self, submission: Submission) -> MessageRefs | None:
        return self._each("expired", submission)


class OutboxPump:
    """A thread that delivers the outbox whenever kicked (kicks coalesce)."""

    def __init__(self, workflow: Workflow, metrics: Metrics | None = None) -> None:
        self.workflow = workflow
        self.metrics = metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="canipost-outbox", daemon=True)
            self._thread.start()

    def kick(self) -> None:
        """Deliver soon; returns at once."""
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing kicked is left to send (tests and shutdown)."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                ok, failed, given_up = self.workflow.deliver_pending()
                if self.metrics is not None:
                    self.metrics.deliveries.labels("sent").inc(ok)
                    self.metrics.deliveries.labels("failed").inc(failed)
                    self.metrics.deliveries.labels("given_up").inc(given_up)
            except Exception:
                log.exception("outbox delivery pass failed")
            if not self._wake.is_set():
                self._idle.set()
        self._idle.set()


def tick_once(workflow: Workflow, metrics: Metrics | None = None) -> Mapping[str, Any] | None:
    """One workflow tick, counted; never raises (the next tick tries again)."""
    try:
        if metrics is not None:
            with metrics.tick_seconds.time():
                report = workflow.tick()
        else:
            report = workflow.tick()
    except Exception:
        log.exception("workflow tick failed")
        if metrics is not None:
            metrics.ticks.labels("failed").inc()
        return None
    if metrics is not None:
        metrics.ticks.labels("ok").inc()
    return report.to_dict()
