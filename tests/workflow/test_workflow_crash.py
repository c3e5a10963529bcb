"""A worker killed with SIGKILL mid-submission loses nothing it acknowledged.

The worker (``wf_workers.py`` run as a script) submits in a loop and decides
every third submission, printing each id only after the call returned. We
kill it at random moments — the first run possibly during its migration —
``CANIPOST_CRASH_RUNS`` times (default 10) per backend, then check every
acknowledged submission is complete and no row anywhere is half-written.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import wf_workers
from sqlalchemy import func, select, text

from bot.store import models as m
from bot.store import open_store

RUNS = int(os.environ.get("CANIPOST_CRASH_RUNS", "10"))
WORKER = Path(wf_workers.__file__)
REPO = Path(__file__).resolve().parents[2]


def _run_and_kill(url: str, run: int, rng: random.Random) -> list[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())
            first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if run == 0:
        time.sleep(rng.uniform(0.3, 1.2))  # maybe during imports or the migration
    else:
        assert first.wait(timeout=60), proc.stderr.read() if proc.stderr else "no output"
        time.sleep(rng.uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return lines


@pytest.mark.slow
def test_sigkill_during_submission_loses_nothing_acknowledged(db_url: str) -> None:
    rng = random.Random(int(os.environ.get("CANIPOST_CRASH_SEED", str(time.time_ns()))))
    acked_submits: dict[str, tuple[int, int]] = {}
    acked_decides: set[str] = set()
    for run in range(RUNS):
        for line in _run_and_kill(db_url, run, rng):
            kind, sid, i = line.split()
            if kind == "S":
                acked_submits[sid] = (run, int(i))
            else:
                acked_decides.add(sid)

    store = open_store(db_url)
    with store.read() as s:
        rows = {r.id: r for r in s.scalars(select(m.Submission))}
        audit = {
            (sid, action)
            for sid, action in s.execute(
                select(m.AuditEntry.submission_id, m.AuditEntry.action).where(
                    m.AuditEntry.outcome == "ok"
                )
            )
        }
        notes = {(n.submission_id, n.kind) for n in s.scalars(select(m.Notification))}
        finals = dict(
            s.execute(
                select(m.Decision.submission_id, func.count()).group_by(m.Decision.submission_id)
            ).all()
        )
        if store.dialect == "sqlite":
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    assert acked_submits, "the worker never acknowledged anything"
    # Every acknowledged submission is there, whole.
    for sid, (run, i) in acked_submits.items():
        row = rows[sid]
        assert row.text == wf_workers.crash_text(run, i)
        assert row.verdict["findings"][0]["quote"] == "crash"
        assert row.author_id == "alice" and row.note == "n"
    for sid in acked_decides:
        assert rows[sid].state == "approved" and rows[sid].decided_by == "bob"
    # No row anywhere is half-written: each transaction's parts are all present.
    for sid, row in rows.items():
        assert row.text and row.text.startswith("crash run ")
        assert (sid, "submit") in audit and (sid, "submitted") in notes
        if row.state == "approved":
            assert (sid, "decide") in audit and (sid, "decided") in notes
            assert finals.get(sid) == 1
        else:
            assert row.state == "pending" and sid not in finals
    unacked = len(rows) - len(acked_submits)
    assert 0 <= unacked <= RUNS  # at most one committed-but-unacknowledged per kill
    print(
        f"\ncrash[{store.dialect}]: {RUNS} SIGKILLs, {len(acked_submits)} acknowledged "
        f"submissions and {len(acked_decides)} decisions all intact, {unacked} committed "
        "just before a kill"
    )
    store.dispose()
