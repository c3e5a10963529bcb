"""The transaction runner every workflow command goes through.

A command (submit, decide, withdraw) is a *body*: a function of a write
session and the time that decides an :class:`Outcome`. :meth:`Runner._run`
gives each body the same guarantees, kept here once:

* **Idempotency.** A call with an ``idempotency_key`` first claims the key
  (an insert, so a concurrent duplicate waits on it and then fails); a key
  already used replays the first call's result, or raises its refusal again,
  and changes nothing.
* **Retries.** An integrity conflict (an id collision, or a duplicate key
  that won the race) and a retryable operational error (SQLite's "database is
  locked", PostgreSQL's serialization failure — see :mod:`bot.store.dialect`)
  re-run the whole transaction, up to :data:`TX_ATTEMPTS` times; then the
  caller gets :class:`StoreBusy` and nothing is recorded.
* **Delivery after commit.** The notification a body enqueued is sent only
  once its transaction committed (inline), so a chat outage never undoes a
  decision; the outbox retries what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.errors import CanipostError, InputError
from bot.store import dialect
from bot.store import models as m
from bot.workflow.base import Pending
from bot.workflow.errors import Refusal
from bot.workflow.tick import Tick
from bot.workflow.types import Submission

# The workflow's logger: operators filter on it, whichever module a line comes from.
log = logging.getLogger("bot.workflow.service")

#: Times a transaction is tried before the caller is told the store is busy.
TX_ATTEMPTS = 5


class StoreBusy(CanipostError):
    """The database stayed locked or unreachable; nothing was recorded (exit 2)."""


@dataclass
class Outcome:
    """What a transaction body decided: a submission to return, or a refusal to raise."""

    submission: Submission | None = None
    refusal: Refusal | None = None
    notify: str | None = None  # kind of the notification enqueued (and claimed), if any
    notification_id: int = -1


def key_result(outcome: Outcome) -> dict[str, Any]:
    """What an idempotency key remembers of its first call, to replay it."""
    if outcome.refusal is not None:
        return {"ok": False, "refusal": outcome.refusal.to_dict()}
    assert outcome.submission is not None
    return {"ok": True, "submission_id": outcome.submission.id}


class Runner(Tick):
    """Runs the workflow's command bodies: idempotency, retries, delivery after commit.

    A replayed key returns the submission as :meth:`get` shows it now; the
    workflow (:class:`bot.workflow.service.Workflow`) provides that query.
    """

    get: Callable[[str], Submission]

    def _run(
        self, action: str, key: str | None, body: Callable[[Session, datetime], Outcome]
    ) -> Submission:
        """Run ``body`` in a write transaction, with idempotency, retries and delivery."""
        if key is not None and (not key.strip() or len(key) > 255):
            raise InputError("an idempotency key must be 1-255 characters")
        outcome: Outcome | None = None
        replay: dict[str, Any] | None = None
        for attempt in range(TX_ATTEMPTS):
            now = self._now()
            try:
                with self.store.write() as s:
                    if key is not None:
                        replay = self._claim_key(s, key, action, now)
                    if replay is None:
                        outcome = body(s, now)
                        if key is not None:
                            s.execute(
                                update(m.IdempotencyKey)
                                .where(m.IdempotencyKey.key == key)
                                .values(
                                    result=key_result(outcome),
                                    submission_id=outcome.submission.id
                                    if outcome.submission
                                    else None,
                                )
                            )
                break
            except IntegrityError:
                # An id collision, or a concurrent delivery of the same key won: try again,
                # and the retry either replays that result or uses a fresh id.
                if attempt == TX_ATTEMPTS - 1:
                    raise
                log.debug("%s: integrity conflict, retrying", action)
            except OperationalError as exc:
                if dialect.retryable(exc) and attempt < TX_ATTEMPTS - 1:
                    continue
                first = dialect.first_line(exc)
                raise StoreBusy(f"database unavailable, nothing recorded: {first}") from None
        if replay is not None:
            log.info("%s: replayed idempotency key", action)
            if not replay.get("ok"):
                raise Refusal.from_dict(replay.get("refusal") or {})
            return self.get(str(replay["submission_id"]))
        assert outcome is not None
        if outcome.notify and outcome.submission is not None and outcome.notification_id >= 0:
            self._deliver([Pending(outcome.notification_id, outcome.notify, 1, outcome.submission)])
        if outcome.refusal is not None:
            raise outcome.refusal
        assert outcome.submission is not None
        return outcome.submission

    def _claim_key(self, s: Session, key: str, action: str, now: datetime) -> dict[str, Any] | None:
        """Claim ``key`` for ``action``; its stored result if an earlier call already did."""
        row = s.get(m.IdempotencyKey, key)
        if row is None:
            # Inserting first makes a concurrent duplicate wait on (then fail at) this key.
            s.add(m.IdempotencyKey(key=key, action=action, created_at=now))
            s.flush()
            return None
        if row.action != action:
            raise InputError(f"idempotency key {key!r} was already used for {row.action}")
        return row.result or {"ok": False, "refusal": {"error": "duplicate request"}}
