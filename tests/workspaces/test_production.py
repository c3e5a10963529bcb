"""CANIPOST_ENV=production: `canipost serve` refuses SQLite and missing secrets, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.workspaces.deploy import check_production, production_problems

PG = "postgres://u:p@db.example:5432/canipost"
SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
TEAMS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"


def test_a_fit_environment_has_no_problems() -> None:
    assert production_problems({"DATABASE_URL": PG, **SLACK}) == []
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"}
    assert production_problems({"DATABASE_URL": PG, **oauth}) == []
    managed = {
        TEAMS + "CLIENTID": "app",
        TEAMS + "TENANTID": "tenant",
        TEAMS + "AUTHTYPE": "UserManagedIdentity",
    }
    assert production_problems({"DATABASE_URL": PG, **managed}) == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**SLACK}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:////data/canipost.db", **SLACK}, "DATABASE_URL is SQLite"),
        ({"DATABASE_URL": PG, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"DATABASE_URL": PG, "SLACK_CLIENT_ID": "1.2"}, "SLACK_CLIENT_SECRET is not set"),
        ({"DATABASE_URL": PG}, "no chat platform is configured"),
        ({"DATABASE_URL": PG, TEAMS + "CLIENTID": "app", TEAMS + "CLIENTSECRET": "x"}, "TENANTID"),
        ({"DATABASE_URL": PG, TEAMS + "CLIENTID": "a", TEAMS + "TENANTID": "t"}, "CLIENTSECRET"),
        ({"DATABASE_URL": PG, **SLACK, "CANIPOST_TEAMS_ANONYMOUS": "1"}, "ANONYMOUS is on"),
    ],
)
def test_each_problem_is_named(env: dict[str, str], expected: str) -> None:
    assert any(expected in p for p in production_problems(env))
    with pytest.raises(ConfigError, match="CANIPOST_ENV=production refuses to start"):
        check_production({"CANIPOST_ENV": "production", **env})


def test_outside_production_nothing_is_checked() -> None:
    check_production({"DATABASE_URL": "sqlite:///x.db"})


def test_serve_refuses_sqlite_in_production_with_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CONNECTIONS__", "CANIPOST_", "OPENAI_"))
    }
    env.update(
        CANIPOST_ENV="production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
        SLACK_BOT_TOKEN="xoxb-1",
        PORT="0",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "DATABASE_URL is SQLite" in lines[0] and "SLACK_SIGNING_SECRET" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "c.db").exists()  # refused before anything was opened
