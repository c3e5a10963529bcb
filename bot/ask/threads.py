"""Thread memory for policy conversations: the turns of one person's thread, in the store.

A thread is identified by (workspace, platform, thread key, user): in a Slack
thread or a Teams reply chain where two people ask questions, each gets their
own conversation and never sees the other's turns. An unknown key is simply
an empty thread. Turns older than ``workflow.retention_days`` are never read
and are deleted as new turns arrive (and by :func:`purge_turns`, which a
scheduled job may call).

Imports SQLAlchemy: only ``canipost ask --thread`` and the chat surfaces load it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text

from bot.store import Store
from bot.store.models import AskTurn

#: Earlier turns a new one is resolved against (the newest first).
HISTORY = 8
#: Field sizes of the table (longer values are cut, never refused).
MAX_KEY = 255
MAX_USER = 128
#: Purge expired turns at most this often per process (it is a range delete on an index).
PURGE_EVERY_SECONDS = 300.0


@dataclass(slots=True)
class Turn:
    """One remembered turn: what was asked, what it was about, what was answered."""

    kind: str  # question | followup | draft | verdict | off_topic
    question: str
    anchors: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    answer: str = ""
    findings: list[dict[str, Any]] | None = None
    decision: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThreadId:
    """Whose conversation, where: two users in one chat thread have two of these."""

    workspace: str
    platform: str
    key: str
    user: str

    @classmethod
    def of(cls, workspace: str, platform: str, key: str, user: str) -> ThreadId:
        return cls(workspace[:64], platform[:16], key[:MAX_KEY], user[:MAX_USER])


def _where(tid: ThreadId) -> list[Any]:
    return [
        AskTurn.workspace == tid.workspace,
        AskTurn.platform == tid.platform,
        AskTurn.thread_key == tid.key,
        AskTurn.user_id == tid.user,
    ]


def load_turns(
    store: Store, tid: ThreadId, *, retention: timedelta | None, now: datetime | None = None
) -> list[Turn]:
    """The thread's newest turns (oldest first), none older than ``retention``."""
    now = now or datetime.now(UTC)
    conditions = _where(tid)
    if retention is not None:
        conditions.append(AskTurn.at >= now - retention)
    stmt = select(AskTurn).where(*conditions).order_by(AskTurn.id.desc()).limit(HISTORY)
    with store.read() as s:
        rows = list(s.scalars(stmt))
    return [
        Turn(
            kind=r.kind,
            question=r.question,
            anchors=list(r.anchors or []),
            topics=list(r.topics or []),
            answer=r.answer,
            findings=r.findings,
            decision=r.decision,
            at=r.at,
        )
        for r in reversed(rows)
    ]


_last_purge: dict[tuple[str, str], float] = {}
_purge_lock = threading.Lock()


def append_turn(
    store: Store,
    tid: ThreadId,
    turn: Turn,
    *,
    retention: timedelta | None,
    now: datetime | None = None,
) -> None:
    """Remember a turn; now and then delete the workspace's expired turns in the same go."""
    now = now or datetime.now(UTC)
    purge_due = False
    if retention is not None:
        with _purge_lock:
            key = (store.url, tid.workspace)
            last = _last_purge.get(key)
            if last is None or time.monotonic() - last >= PURGE_EVERY_SECONDS:
                _last_purge[key] = time.monotonic()
                purge_due = True
    with store.write() as s:
        if store.dialect == "postgresql":
            # Conversation memory is a convenience: a crash may lose the last turn, and
            # not waiting for the WAL flush keeps a thread's cost per turn small.
            s.execute(text("SET LOCAL synchronous_commit TO OFF"))
        s.add(
            AskTurn(
                workspace=tid.workspace,
                platform=tid.platform,
                thread_key=tid.key,
                user_id=tid.user,
                at=now,
                kind=turn.kind,
                question=turn.question,
                anchors=turn.anchors,
                topics=turn.topics,
                answer=turn.answer,
                findings=turn.findings,
                decision=turn.decision,
            )
        )
        if purge_due and retention is not None:
            s.execute(
                delete(AskTurn).where(
                    AskTurn.workspace == tid.workspace, AskTurn.at < now - retention
                )
            )


def purge_turns(
    store: Store, *, retention: timedelta, workspace: str | None = None, now: datetime | None = None
) -> int:
    """Delete turns older than ``retention`` (one workspace, or all); returns how many."""
    now = now or datetime.now(UTC)
    stmt = delete(AskTurn).where(AskTurn.at < now - retention)
    if workspace is not None:
        stmt = stmt.where(AskTurn.workspace == workspace)
    with store.write() as s:
        result = s.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


def forget_purge_schedule() -> None:
    """Let the next append purge at once (tests)."""
    with _purge_lock:
        _last_purge.clear()
