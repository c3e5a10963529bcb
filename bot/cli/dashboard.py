"""``canipost dashboard link``: a one-time sign-in link to the web dashboard.

Whoever can run commands against the database vouches for the user id, as
with ``queue decide --by``; the link is for approvers and dashboard admins
only (exit 3 for anyone else), works once, and expires after 15 minutes.
``--workspace ID`` (a Slack team or Teams tenant this database knows: its
settings, installation or submissions; exit 2 otherwise) signs in to that
workspace's dashboard, checked against its approvers.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any
from urllib.parse import urlencode

from bot.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dashboard",
        help="the web dashboard: print a one-time sign-in link",
        description=(
            "The comms team's web dashboard is served by `canipost serve` under /dashboard. "
            "Exit status: 0 done, 2 usage or configuration error, 3 not an approver or admin."
        ),
    )
    d = p.add_subparsers(dest="dashboard_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: _help(p))
    link = d.add_parser(
        "link",
        help="print a one-time sign-in link (15 minutes) for an approver or admin",
        description=(
            "Print a sign-in link for USER, valid once for 15 minutes. USER must be an "
            "approver (config approvers, CANIPOST_APPROVERS, or the --workspace's own "
            "approvers) or listed in CANIPOST_DASHBOARD_ADMINS; anyone else gets exit 3. "
            "An unknown --workspace is exit 2."
        ),
    )
    link.add_argument("--user", required=True, metavar="ID", help="the user id to sign in")
    link.add_argument("--name", metavar="NAME", help="display name shown in the dashboard")
    link.add_argument(
        "--base-url",
        metavar="URL",
        help="public address of `canipost serve` (default $CANIPOST_PUBLIC_URL, "
        "else http://127.0.0.1:$PORT)",
    )
    link.add_argument(
        "--workspace",
        metavar="ID",
        help="the Slack team or Teams tenant whose dashboard to sign in to, checked against "
        "its approvers (default: the config's own; unknown here: exit 2)",
    )
    link.add_argument(
        "--config", metavar="FILE", help="organisation config (default $CANIPOST_CONFIG)"
    )
    link.add_argument(
        "--json", action="store_true", help='print {"url", "user", "expires_at", "workspace"}'
    )
    link.set_defaults(func=run_link)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _base_url(value: str | None) -> str:
    base = (value or os.environ.get("CANIPOST_PUBLIC_URL") or "").strip()
    if not base:
        base = f"http://127.0.0.1:{os.environ.get('PORT') or 3000}"
    if not base.startswith(("http://", "https://")) or any(c.isspace() for c in base):
        raise InputError(f"--base-url must be an http:// or https:// address, not {base!r}")
    return base.rstrip("/")


def _workspace(store: Any, config: Any, value: str | None) -> str:
    """The workspace a link signs in to: ``--workspace`` when this database knows it."""
    from bot.workspaces.settings import SettingsError, check_workspace, workspace_known

    if value is None:
        return str(config.workspace)
    try:
        workspace = check_workspace(value)
        known = workspace == config.workspace or workspace_known(store, workspace)
    except SettingsError:
        known = False
    if not known:
        raise InputError(
            f"unknown workspace {value[:80]!r}: no settings, Slack installation or "
            "submissions for it in this database"
        )
    return workspace


def run_link(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.config import load_config
    from bot.dashboard.auth import LINK_TTL, create_link
    from bot.store import open_store

    base = _base_url(args.base_url)
    config = load_config(args.config)
    now = datetime.now(UTC)
    store = open_store()
    try:
        workspace = _workspace(store, config, args.workspace)
        secret = create_link(store, config, args.user, name=args.name, now=now, workspace=workspace)
    finally:
        store.dispose()
    url = f"{base}/dashboard/login?{urlencode({'token': secret})}"
    if args.json:
        expires = (now + LINK_TTL).isoformat()
        out = {"url": url, "user": args.user.strip(), "expires_at": expires}
        print(json.dumps({**out, "workspace": workspace}))
    else:
        print(url)
    return 0
