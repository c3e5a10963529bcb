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


def test_workspace_option_signs_in_to_that_workspace_with_its_approvers(tmp_path: Path) -> None:
    from bot.dashboard.auth import redeem_link
    from bot.verdict import Verdict
    from bot.workflow import Actor, Workflow
    from bot.workspaces import config_for, update_settings

    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    base = Config(approvers=Approvers(any=["bob"]))
    update_settings(
        store, "T1", {"approvers": "UAPPROVER1"}, by=Actor("slack", "UADMIN"), base_config=base
    )
    # A Teams tenant with no settings of its own is known by its submissions.
    tenant = "0b5c6a3e-1f2d-4c8b-9a7e-3d2f1e0c9b8a"
    Workflow(store, config=config_for(tenant, store, base)).submit(
        text="Tenant draft", verdict=Verdict([], "p"), author=Actor("teams", "staff")
    )

    out = run(tmp_path, "link", "--user", "UAPPROVER1", "--workspace", "T1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["workspace"] == "T1"
    token = parse_qs(urlparse(data["url"]).query)["token"][0]
    _, user = redeem_link(store, base, token)
    assert (user.id, user.workspace, user.is_approver) == ("UAPPROVER1", "T1", True)

    # T1's admin named its own approvers: the file's approver is nobody there (exit 3),
    # but is one in the tenant that kept the file's.
    refused = run(tmp_path, "link", "--user", "bob", "--workspace", "T1", CANIPOST_APPROVERS="bob")
    assert refused.returncode == 3 and "bob is not an approver" in refused.stderr
    assert "workspace 'T1'" in refused.stderr
    tenant_link = run(
        tmp_path, "link", "--user", "bob", "--workspace", tenant, "--json", CANIPOST_APPROVERS="bob"
    )
    assert tenant_link.returncode == 0, tenant_link.stderr
    assert json.loads(tenant_link.stdout)["workspace"] == tenant
    # No --workspace: the config's own (""), as before.
    own = run(tmp_path, "link", "--user", "bob", "--json", CANIPOST_APPROVERS="bob")
    assert own.returncode == 0 and json.loads(own.stdout)["workspace"] == ""
    store.dispose()


def test_an_unknown_workspace_is_one_line_exit_2(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path / 'cli.db'}").dispose()
    for bad in ("TNOSUCH", " T1", "x" * 100):
        out = run(tmp_path, "link", "--user", "bob", "--workspace", bad, CANIPOST_APPROVERS="bob")
        assert out.returncode == 2 and out.stdout == "", out.stderr
        assert out.stderr.startswith("canipost: unknown workspace") and out.stderr.count("\n") == 1
