"""``canipost serve``: the chat apps, health, readiness and metrics in one HTTP process.

HTTP mode (production): Slack sends every request to ``POST /slack/events``
on ``$PORT``. Socket Mode (development, firewalled installs): with
``SLACK_APP_TOKEN`` set (or ``--socket-mode``) the app connects out to Slack
instead; ``/healthz``, ``/readyz`` and ``/metrics`` are still served.
"""

from __future__ import annotations

import argparse
import logging
import os

from bot.config import load_config
from bot.errors import ConfigError

DEFAULT_PORT = 3000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the Slack (and Teams) app, /healthz, /readyz and /metrics",
        description=(
            "Serve the chat apps over HTTP. Endpoints: POST /slack/events (Slack, HTTP mode), "
            "GET /healthz, GET /readyz (database and policy), GET /metrics (Prometheus). "
            "Slack needs SLACK_BOT_TOKEN plus SLACK_SIGNING_SECRET (HTTP mode) or "
            "SLACK_APP_TOKEN (Socket Mode, chosen whenever it is set); approval cards go to "
            "CANIPOST_APPROVERS_CHANNEL. The approval queue is DATABASE_URL; the workflow "
            "tick (reminders, escalation, expiry) runs in this process every "
            "workflow.tick_seconds. Run several processes against PostgreSQL to scale out."
        ),
    )
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"HTTP port (default $PORT, else {DEFAULT_PORT})",
    )
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket-mode",
        action="store_true",
        help="connect to Slack over Socket Mode (the default when SLACK_APP_TOKEN is set)",
    )
    mode.add_argument(
        "--http",
        action="store_true",
        help="use HTTP mode even when SLACK_APP_TOKEN is set",
    )
    p.add_argument(
        "--config", metavar="FILE", help="organisation config (default $CANIPOST_CONFIG)"
    )
    p.add_argument(
        "--no-tick",
        action="store_true",
        help="do not run the workflow tick here (when a scheduler runs `canipost queue tick`)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the server and run it until interrupted."""
    from aiohttp import web

    from bot.server import build_app, configured_platforms

    root = logging.getLogger()
    if root.level > logging.INFO and not os.environ.get("CANIPOST_LOG_LEVEL"):
        root.setLevel(logging.INFO)  # a server's INFO lines are its audit of what it did
    config = load_config(args.config)
    socket_mode = bool(args.socket_mode or (os.environ.get("SLACK_APP_TOKEN") and not args.http))
    platforms = configured_platforms()
    if socket_mode and "slack" not in platforms:
        raise ConfigError("Socket Mode needs SLACK_BOT_TOKEN (the xoxb- bot token) as well")
    if not platforms:
        logging.getLogger("canipost.server").warning(
            "no chat platform configured (SLACK_BOT_TOKEN unset): serving health and metrics only"
        )
    port = args.port if args.port is not None else int(os.environ.get("PORT") or DEFAULT_PORT)
    app = build_app(
        config,
        platforms=platforms,
        options={"slack": {"socket_mode": socket_mode}},
        tick=not args.no_tick,
    )
    mode = "Socket Mode" if socket_mode else "HTTP mode"
    logging.getLogger("canipost.server").info("listening on %s:%d (%s)", args.host, port, mode)
    web.run_app(
        app,
        host=args.host,
        port=port,
        print=None,
        access_log=logging.getLogger("aiohttp.access") if args.verbose else None,
        handle_signals=True,
    )
    return 0
