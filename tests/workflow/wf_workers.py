"""Worker processes for the race and crash tests (importable by spawned children).

Run as a script it is the crash-test worker: submit (and sometimes decide) in
a loop, printing each acknowledgement only after the call returned, i.e.
after commit, until the parent kills it with SIGKILL.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from bot.config import Approvers, Config
from bot.store import open_store
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, AlreadyDecided, Workflow

APPROVERS = Config(approvers=Approvers(cli=["bob", "carol"]))
PADDING = "lorem ipsum dolor " * 100


def crash_text(run: int, i: int) -> str:
    return f"crash run {run} item {i} {PADDING}"


def crash_verdict() -> Verdict:
    return Verdict(
        [Finding("legal.x", "legal", Severity.NEEDS_APPROVAL, 0, 5, "crash", "m", "s", "p")],
        "crash-policy",
    )


def decider(
    url: str,
    approver: str,
    decision: str,
    note: str | None,
    ids: list[str],
    barrier: Any,
    results: Any,
) -> None:
    """Decide every id in turn, each time released together with the rival process."""
    store = open_store(url, migrate=False)
    wf = Workflow(store, config=APPROVERS)
    by = Actor("cli", approver)
    lost_in_update = _count_logs("bot.workflow.service", "conditional update lost")
    try:
        for sid in ids:
            barrier.wait(timeout=60)
            try:
                sub = wf.decide(sid, decision, by=by, note=note)
                assert sub.decided_by is not None and sub.decided_at is not None
                results.put((sid, approver, "won", sub.decided_by.id, sub.decided_at.isoformat()))
            except AlreadyDecided as exc:
                at = exc.decided_at.isoformat() if exc.decided_at else None
                results.put((sid, approver, "lost", exc.decided_by, at))
            except Exception as exc:  # reported to the parent, which fails the test
                results.put((sid, approver, "error", repr(exc), None))
        # How often the loser got past the pre-check and was stopped by the UPDATE itself.
        results.put(("__stats__", approver, "stats", str(lost_in_update.count), None))
    finally:
        store.dispose()


class _Counter(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__(logging.DEBUG)
        self.needle = needle
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.count += 1


def _count_logs(logger: str, needle: str) -> _Counter:
    handler = _Counter(needle)
    log = logging.getLogger(logger)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    return handler


def crash_worker(url: str, run: int) -> None:
    store = open_store(url)
    wf = Workflow(store, config=APPROVERS)
    author = Actor("cli", "alice")
    i = 0
    while True:
        sub = wf.submit(text=crash_text(run, i), verdict=crash_verdict(), author=author, note="n")
        print(f"S {sub.id} {i}", flush=True)
        if i % 3 == 0:
            wf.decide(sub.id, "approve", by=Actor("cli", "bob"))
            print(f"D {sub.id} {i}", flush=True)
        i += 1


if __name__ == "__main__":
    crash_worker(sys.argv[1], int(sys.argv[2]))
