"""`canipost watch` as a comms officer runs it: in-process on a fresh SQLite file (and once on
PostgreSQL), plus real subprocesses to prove errors are one line and `check` picks entries up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(request.param, tmp_path))
        except PostgresUnavailable as exc:
            if postgres_required():
                pytest.fail(f"CANIPOST_REQUIRE_POSTGRES=1 but {exc}")
            pytest.skip(str(exc))
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("CANIPOST_APPROVERS", "bob,carol")
        yield url


class Run:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    return Run(capsys)


def test_the_whole_cycle(env: str, run: Run) -> None:
    code, out, err = run(
        "watch", "add", "Project Lighthouse", "--kind", "embargo", "--until", "2099-03-01",
        "--alias", "Lighthouse launch", "--note", "Board paper; ask Jo", "--by", "bob", "--json",
    )  # fmt: skip
    assert code == 0, err
    entry = json.loads(out)
    assert entry["kind"] == "embargo" and entry["severity"] == "do_not_post"
    assert entry["until"] == "2099-03-01T00:00:00+00:00" and entry["status"] == "active"
    assert entry["aliases"] == ["Lighthouse launch"] and entry["added_by"] == "bob"

    code, out, _ = run("check", "--json", "Can't wait for the Lighthouse launch!")
    assert code == 1
    verdict = json.loads(out)
    assert [f["rule"] for f in verdict["findings"] if f["rule"].startswith("watch.")] == [
        "watch.embargo"
    ]
    assert "Board paper" not in out

    code, out, _ = run("watch", "list")
    assert code == 0 and entry["id"] in out and "Project Lighthouse" in out
    code, out, _ = run("watch", "show", entry["id"].lower(), "--json")
    shown = json.loads(out)
    assert shown["note"] == "Board paper; ask Jo"
    assert [a["action"] for a in shown["audit"]] == ["watch_add"]
    code, out, _ = run("watch", "show", entry["id"])
    assert code == 0 and "Board paper; ask Jo" in out and "staff see" in out

    code, out, err = run("watch", "remove", entry["id"], "--by", "carol")
    assert code == 0, err
    assert "Removed" in out
    code, out, _ = run("check", "--json", "Can't wait for the Lighthouse launch!")
    assert not [f for f in json.loads(out)["findings"] if f["rule"].startswith("watch.")]
    code, out, _ = run("watch", "list", "--json")
    assert json.loads(out) == []
    code, out, _ = run("watch", "list", "--all", "--json")
    assert [e["status"] for e in json.loads(out)] == ["removed"]


def test_only_approvers_add_or_remove_and_attempts_are_audited(env: str, run: Run) -> None:
    code, _, err = run("watch", "add", "Project Lighthouse", "--kind", "embargo", "--by", "eve")
    assert code == 3
    assert err.strip() == (
        "canipost: eve is not an approver: only approvers can add to the watch list"
    )
    code, out, _ = run("watch", "add", "Kingfisher", "--kind", "codename", "--by", "bob", "--json")
    eid = json.loads(out)["id"]
    code, _, err = run("watch", "remove", eid, "--by", "eve")
    assert code == 3 and err.count("\n") == 1
    code, out, _ = run("audit", "export", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    watch_rows = [
        (r["action"], r["outcome"], r["actor_id"]) for r in rows if "watch" in r["action"]
    ]
    assert watch_rows == [
        ("watch_add", "refused", "eve"),
        ("watch_add", "ok", "bob"),
        ("watch_remove", "refused", "eve"),
    ]
    code, out, _ = run("watch", "list", "--json")
    assert [e["id"] for e in json.loads(out)] == [eid]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--kind", "topic"], "the term is empty"),
        (["the", "--kind", "topic"], "'the' is a common word"),
        (["bin", "--kind", "topic"], "'bin' is a common word"),
        (["ab", "--kind", "topic"], "too short"),
        (["Bin strike", "--kind", "strike"], "unknown kind 'strike'"),
        (["Bin strike", "--kind", "topic", "--until", "2001-01-01"], "already past"),
        (["Bin strike", "--kind", "topic", "--until", "soon"], "not a date"),
        (["Bin strike", "--kind", "topic", "--severity", "urgent"], "unknown severity"),
    ],
)
def test_bad_input_exits_2_with_one_line(env: str, run: Run, args: list[str], message: str) -> None:
    code, out, err = run("watch", "add", *args, "--by", "bob")
    assert code == 2
    assert out == "" and err.count("\n") == 1 and message in err
    assert run("watch", "list", "--all", "--json")[1].strip() == "[]"


def test_a_duplicate_changes_nothing_and_names_the_entry(env: str, run: Run) -> None:
    _, out, _ = run(
        "watch", "add", "Project Lighthouse", "--kind", "embargo", "--by", "bob", "--json"
    )
    eid = json.loads(out)["id"]
    code, _, err = run("watch", "add", "#LighthouseProject", "--kind", "topic", "--by", "carol")
    assert code == 2
    assert f"already on the watch list as {eid} (embargo: 'Project Lighthouse')" in err
    code, _, err = run("watch", "add", "Totally new", "--alias", "project lighthouse",
                       "--kind", "topic", "--by", "carol")  # fmt: skip
    assert code == 2 and eid in err
    assert len(json.loads(run("watch", "list", "--all", "--json")[1])) == 1


def test_unknown_id(env: str, run: Run) -> None:
    code, _, err = run("watch", "show", "W-NOPE1234")
    assert code == 2 and "no watch entry 'W-NOPE1234'" in err
    code, _, err = run("watch", "remove", "W-NOPE1234", "--by", "bob")
    assert code == 2 and "no watch entry" in err


def test_real_processes_one_line_errors_and_check_picks_up_entries(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CANIPOST_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}", CANIPOST_APPROVERS="bob")

    def canipost(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    bad = canipost("watch", "add", "the", "--kind", "topic", "--by", "bob")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1
    added = canipost("watch", "add", "Priya Patel", "--kind", "injunction", "--by", "bob")
    assert added.returncode == 0, added.stderr
    check = canipost("check", "--json", "So sorry to hear what happened to Patel this week")
    assert check.returncode == 1
    (finding,) = [f for f in json.loads(check.stdout)["findings"] if f["source"] == "rules"]
    assert finding["rule"] == "watch.injunction" and finding["category"] == "legal"
    assert finding["policy_ref"] == "protocol#injunctions-and-anonymity"
    assert finding["quote"] == "Patel"
