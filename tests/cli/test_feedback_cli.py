"""``canipost feedback`` as a comms officer runs it: in-process, plus real subprocesses for errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main

FILM = "Photo shoot today with our apprentices for the new brochure - the shooting went brilliantly"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CANIPOST_APPROVERS", "bob")
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_add_list_confirm(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "add", FILM, "--expected", "ok", "--by", "amy", "--json"]) == 0
    item = _json(capsys)
    assert item["status"] == "pending" and item["kind"] == "false_alarm"  # type: ignore[index]
    assert main(["feedback", "list", "--pending", "--json"]) == 0
    assert [i["id"] for i in _json(capsys)] == [item["id"]]  # type: ignore[index, union-attr]
    assert main(["feedback", "confirm", item["id"], "--by", "amy"]) == 3  # type: ignore[index]
    capsys.readouterr()
    assert main(["feedback", "confirm", item["id"], "--by", "bob", "--json"]) == 0  # type: ignore[index]
    assert _json(capsys)["status"] == "confirmed"  # type: ignore[index]
    assert main(["feedback", "list", "--pending"]) == 0
    assert "no pending feedback" in capsys.readouterr().out


def test_an_approvers_report_counts_at_once(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["feedback", "add", FILM, "--expected", "needs_approval", "--category", "sensitivity"]
    assert main([*args, "--by", "bob", "--note", "check with comms"]) == 0
    assert "counts at once" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["", "--expected", "ok"], "empty"),
        (["   ", "--expected", "ok"], "empty"),
        ([FILM, "--expected", "fine"], "unknown decision 'fine'"),
        ([FILM, "--expected", "ok", "--category", "gossip"], "unknown category 'gossip'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(env: Path, args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "feedback", "add", *args, "--by", "amy"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert not (env / "cli.db").exists()  # nothing written for a refused report
