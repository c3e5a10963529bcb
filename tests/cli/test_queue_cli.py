"""The approval cycle from the command line, as a comms officer would run it.

In-process through ``bot.cli.main.main`` on a fresh SQLite file (and the
full cycle once more on PostgreSQL), plus a real subprocess to prove errors
are one line with no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database

REPO = Path(__file__).resolve().parents[2]
GOOD = "Our new library on King Street opens on Monday at 9am. Come and say hello!"
RISKY = "Mrs Patel in bed 4, NHS number 943 476 5919, went home today"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(request.param, tmp_path))
        except PostgresUnavailable as exc:
            if postgres_required():
                pytest.fail(f"CANIPOST_REQUIRE_POSTGRES=1 but {exc}")
            pytest.skip(str(exc))
        yield url


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CANIPOST_APPROVERS", "bob,carol")
    for var in ("CANIPOST_CONFIG", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


class Run:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *argv: str, expect: int = 0) -> Any:
        code, out, err = self(*argv, "--json")
        assert code == expect, err
        return json.loads(out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


def test_whole_approval_cycle(
    env: Path, run: Run, any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", any_db)
    sub = run.json("queue", "submit", GOOD, "--author", "alice", "--channel", "x", "--no-llm")
    for key in ("id", "state", "author", "decided_by", "decided_at", "note", "verdict"):
        assert key in sub
    assert sub["state"] == "pending" and sub["author"] == "alice" and sub["channel"] == "twitter"
    assert sub["verdict"]["decision"] in ("ok", "advise", "needs_approval", "do_not_post")
    sid = sub["id"]

    listed = run.json("queue", "list", "--status", "pending")
    assert [s["id"] for s in listed] == [sid]

    code, _, err = run("queue", "decide", sid, "approve", "--by", "mallory")
    assert code == 3 and "not an approver" in err and "Traceback" not in err
    code, _, err = run("queue", "decide", sid, "approve", "--by", "alice")
    assert code == 3  # alice is not an approver (and it is her own draft)
    code, _, err = run("queue", "decide", sid, "changes", "--by", "bob")
    assert code == 2 and "note is required" in err

    changed = run.json(
        "queue", "decide", sid.lower(), "changes", "--by", "bob", "--note", "Add the time"
    )
    assert changed["state"] == "changes_requested"
    assert changed["decided_by"] == "bob" and changed["decided_at"]
    assert changed["note"] == "Add the time"

    refused = run.json("queue", "decide", sid, "approve", "--by", "carol", expect=3)
    assert refused["reason"] == "already_decided" and refused["decided_by"] == "bob"
    code, _, err = run("queue", "decide", sid, "approve", "--by", "carol")
    assert code == 3 and "bob" in err and "UTC" in err and len(err.strip().splitlines()) == 1

    second = run.json(
        "queue",
        "submit",
        GOOD + " (9am to 5pm)",
        "--author",
        "alice",
        "--resubmit-of",
        sid,
        "--no-llm",
    )
    assert second["predecessor_id"] == sid
    approved = run.json("queue", "decide", second["id"], "approve", "--by", "carol")
    assert approved["state"] == "approved" and approved["decided_by"] == "carol"

    shown = run.json("queue", "show", sid)
    assert shown["state"] == "changes_requested"
    assert [(a["action"], a["outcome"]) for a in shown["audit"]] == [
        ("submit", "ok"),
        ("decide", "refused"),
        ("decide", "refused"),
        ("decide", "refused"),
        ("decide", "ok"),
        ("decide", "refused"),
        ("decide", "refused"),
    ]
    code, out, _ = run("queue", "show", sid)
    assert code == 0 and "Audit trail:" in out and "changes requested by bob" in out

    third = run.json("queue", "submit", "Another one", "--author", "alice", "--no-llm")
    code, _, err = run("queue", "withdraw", third["id"], "--by", "bob")
    assert code == 3 and "only the author" in err
    code, out, _ = run("queue", "withdraw", third["id"], "--by", "alice")
    assert code == 0 and "withdrawn" in out

    code, out, _ = run("queue", "tick")
    assert code == 0 and out.startswith("tick:")
    assert set(run.json("queue", "tick")) >= {"expired", "reminded", "escalated", "purged"}

    code, out, _ = run("audit", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 12
    assert GOOD not in out  # draft text never exported
    code, out, _ = run("audit", "export", "--format", "jsonl", "--since", "2000-01-01")
    assert code == 0 and len(out.splitlines()) == 12
    code, out, _ = run("audit", "export", "--since", "2999-01-01")
    assert code == 0 and len(out.splitlines()) == 1  # header only

    code, out, _ = run("queue", "list")
    assert code == 0 and sid in out and "changes_requested" in out


def test_do_not_post_needs_a_justification(env: Path, run: Run) -> None:
    code, out, err = run("queue", "submit", RISKY, "--author", "alice", "--no-llm", "--json")
    if code == 0:
        pytest.skip(
            f"the policy no longer judges this do_not_post: {json.loads(out)['review_decision']}"
        )
    assert code == 2 and "justification" in err
    assert json.loads(out)["reason"] == "justification_required"
    sub = run.json(
        "queue",
        "submit",
        RISKY,
        "--author",
        "alice",
        "--no-llm",
        "--justification",
        "Consent given",
    )
    assert sub["review_decision"] == "do_not_post" and sub["note"] == "Consent given"


def test_usage_errors_are_one_line(env: Path, run: Run) -> None:
    code, _, err = run("queue", "show", "S-ZZZZZZZZZZ")
    assert code == 2 and "unknown submission" in err
    code, _, err = run(
        "queue", "submit", "Hi", "--author", "alice", "--channel", "myspace", "--no-llm"
    )
    assert code == 2 and "unknown channel" in err
    code, _, err = run("queue", "submit", "   ", "--author", "alice", "--no-llm")
    assert code == 2 and "no draft" in err
    code, _, err = run("audit", "export", "--since", "last tuesday")
    assert code == 2 and "--since" in err
    code, out, _ = run("queue", "list")
    assert code == 0 and "no submissions" in out


def test_db_upgrade_and_current(env: Path, run: Run) -> None:
    from bot.store import head_revision

    head = head_revision()
    code, out, _ = run("db", "upgrade")
    assert code == 0 and f"upgraded from empty to {head}" in out
    code, out, _ = run("db", "upgrade")
    assert code == 0 and f"already at revision {head}" in out
    code, out, _ = run("db", "current")
    assert code == 0 and f"revision {head} (up to date)" in out


def test_unreachable_database_is_a_clear_error(
    env: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
    code, _, err = run("queue", "list")
    assert code == 2 and "cannot open the database" in err and "secret" not in err


def test_subprocess_errors_have_no_traceback(env: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "queue", "decide", "S-ZZZZZZZZZZ", "approve", "--by", "bob"],
        capture_output=True,
        text=True,
        cwd=env,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "canipost: unknown submission 'S-ZZZZZZZZZZ'"
