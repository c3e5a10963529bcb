"""``canipost model train|status|reset`` on a fresh SQLite file, and the fallback from a bad model."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Draft, load_config
from bot.cli.main import main
from bot.learned import live
from bot.review import review_rules


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CANIPOST_APPROVERS", "bob")
    live.invalidate()
    yield tmp_path
    live.invalidate()


def test_status_with_no_database_is_the_shipped_model(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["model"] == "shipped" and st["ok"] and st["fallback_reason"] is None
    assert not (env / "cli.db").exists()  # status never creates the database


def test_train_with_no_feedback_keeps_the_shipped_model(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "train", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stored"] is False and out["feedback"] == 0
    assert "keeping" in out["message"]
    assert out["heldout_before"]["rules_model"]["risky_recall"] is not None
    assert live.status()["model"] == "shipped"


def test_a_corrupt_stored_model_falls_back_to_the_shipped_one(
    env: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    con = sqlite3.connect(env / "cli.db")
    con.execute(
        "INSERT INTO learned_models (workspace, version, format, blob, summary, active, created_at)"
        " VALUES ('', 'broken', 1, ?, '{}', 1, '2026-12-03 09:00:00')",
        (b"CPLM\x05\x00\x00\x00{bad}",),
    )
    con.commit()
    con.close()
    with caplog.at_level(logging.WARNING, logger="canipost.learned"):
        v = review_rules(
            Draft("Someone should torch the place with them in it"), config=load_config()
        )
    assert "falling back to the shipped model" in caplog.text
    st = live.status()
    assert st["model"] == "shipped" and "unusable" in st["fallback_reason"]
    assert (
        v.policy_version
        == review_rules(Draft("x y"), config=load_config(), layers=False).policy_version
    )
    assert main(["model", "status"]) == 0
    assert "fallback:" in capsys.readouterr().out
    assert main(["model", "reset", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["retired"] == 1
    assert live.status()["fallback_reason"] is None
