"""``canipost dashboard link``: a one-time link for approvers and admins, exit 3 for anyone else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from harness import Client

from bot.config import Approvers, Config
from bot.dashboard.auth import link_problem
from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import open_store


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "CANIPOST_PUBLIC_URL"}
    full.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "dashboard", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )


def test_link_for_an_approver_signs_in_once(tmp_path: Path) -> None:
    out = run(
        tmp_path, "link", "--user", "bob", "--name", "Bob", "--json", CANIPOST_APPROVERS="bob"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["user"] == "bob" and data["url"].startswith(
        "http://127.0.0.1:3000/dashboard/login?token="
    )
    token = parse_qs(urlparse(data["url"]).query)["token"][0]
    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    assert link_problem(store, token) is None
    config = Config(approvers=Approvers(any=["bob"]))
    with LiveServer(build_app(config, platforms=[], store=store, tick=False)) as server:
        client = Client(server.url)
        page = client.get(f"/dashboard/login?token={token}")
        reply = client.post("/dashboard/login", {"csrf": page.csrf(), "token": token})
        assert reply.url.endswith("/dashboard/queue") and "Bob (bob)" in reply.text
    store.dispose()


def test_base_url_option_and_env(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        "link",
        "--user",
        "bob",
        "--base-url",
        "https://comms.example.org/",
        CANIPOST_APPROVERS="bob",
    )
    assert out.returncode == 0 and out.stdout.startswith(
        "https://comms.example.org/dashboard/login?token="
    )
    out = run(
        tmp_path,
        "link",
        "--user",
        "bob",
        CANIPOST_APPROVERS="bob",
        CANIPOST_PUBLIC_URL="https://dash.example.org",
    )
    assert out.stdout.startswith("https://dash.example.org/dashboard/login?token=")


def test_anyone_else_gets_exit_3(tmp_path: Path) -> None:
    out = run(tmp_path, "link", "--user", "eve", CANIPOST_APPROVERS="bob")
    assert out.returncode == 3 and out.stdout == ""
    assert (
        out.stderr.startswith("canipost: eve is not an approver") and "Traceback" not in out.stderr
    )
    admin = run(tmp_path, "link", "--user", "manager", CANIPOST_DASHBOARD_ADMINS="manager")
    assert admin.returncode == 0


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    out = run(tmp_path, "link", "--user", "bob", "--base-url", "ftp://x", CANIPOST_APPROVERS="bob")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--base-url" in out.stderr
    out = run(tmp_path, "link", CANIPOST_APPROVERS="bob")
    assert out.returncode == 2 and "--user" in out.stderr
