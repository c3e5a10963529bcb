"""Two processes decide the same submission at the same instant: exactly one decision.

Two long-lived spawned processes walk the same list of pending submissions;
a shared barrier releases both onto each submission together. Repeated
``CANIPOST_RACE_ITERATIONS`` times (default 200) on each backend.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections import Counter

import pytest
import wf_workers
from sqlalchemy import func, select

from bot.store import models as m
from bot.store import open_store
from bot.verdict import Verdict
from bot.workflow import Actor, Workflow

ITERATIONS = int(os.environ.get("CANIPOST_RACE_ITERATIONS", "200"))


@pytest.mark.slow
def test_simultaneous_decisions_make_exactly_one(db_url: str) -> None:
    store = open_store(db_url)
    wf = Workflow(store, config=wf_workers.APPROVERS)
    alice = Actor("cli", "alice")
    ids = [
        wf.submit(text=f"race {i}", verdict=Verdict([], "p"), author=alice).id
        for i in range(ITERATIONS)
    ]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=wf_workers.decider,
            args=(db_url, "bob", "approve", None, ids, barrier, results),
        ),
        ctx.Process(
            target=wf_workers.decider,
            args=(db_url, "carol", "reject", "No, sorry", ids, barrier, results),
        ),
    ]
    for p in procs:
        p.start()
    got: list[tuple[str, str, str, str | None, str | None]] = []
    try:
        for _ in range(2 * ITERATIONS + 2):
            got.append(results.get(timeout=120))
    except queue.Empty:
        pass
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.kill()
    assert [r for r in got if r[2] == "error"] == []
    stats = [r for r in got if r[2] == "stats"]
    got = [r for r in got if r[2] != "stats"]
    assert len(got) == 2 * ITERATIONS and len(stats) == 2, "a worker died early"
    in_update = sum(int(str(r[3])) for r in stats)

    by_id: dict[str, list[tuple[str, str, str, str | None, str | None]]] = {}
    for r in got:
        by_id.setdefault(r[0], []).append(r)
    wins: Counter[str] = Counter()
    for sid in ids:
        pair = by_id[sid]
        won = [r for r in pair if r[2] == "won"]
        lost = [r for r in pair if r[2] == "lost"]
        assert len(won) == 1 and len(lost) == 1, (sid, pair)
        winner = won[0][1]
        wins[winner] += 1
        # The loser is told who decided, and when.
        assert lost[0][3] == winner and lost[0][4] == won[0][4]

    expected_state = {"bob": "approved", "carol": "rejected"}
    with store.read() as s:
        rows = {r.id: r for r in s.scalars(select(m.Submission).where(m.Submission.id.in_(ids)))}
        finals = dict(
            s.execute(
                select(m.Decision.submission_id, func.count())
                .where(m.Decision.submission_id.in_(ids))
                .group_by(m.Decision.submission_id)
            ).all()
        )
        attempts = s.scalar(
            select(func.count())
            .select_from(m.AuditEntry)
            .where(m.AuditEntry.action == "decide", m.AuditEntry.submission_id.in_(ids))
        )
    for sid in ids:
        winner = next(r[1] for r in by_id[sid] if r[2] == "won")
        assert rows[sid].state == expected_state[winner]
        assert rows[sid].decided_by == winner
        assert finals[sid] == 1
    assert attempts == 2 * ITERATIONS  # both attempts audited, every time
    print(
        f"\nrace[{store.dialect}]: {ITERATIONS} rounds, exactly one decision each; "
        f"wins {dict(wins)}; {in_update} losers stopped by the conditional UPDATE itself"
    )
    store.dispose()
