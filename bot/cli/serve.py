"""``canipost serve``: the chat apps, health, readiness and metrics in one HTTP process.

HTTP mode (production): Slack sends every request to ``POST /slack/events``
on ``$PORT``. Socket Mode (development, firewalled installs): with
``SLACK_APP_TOKEN`` set (or ``--socket-mode``) the app connects out to Slack
instead; ``/healthz``, ``/readyz`` and ``/metrics`` are still served.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from bot.config import load_config
from bot.errors import ConfigError

DEFAULT_PORT = 3000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the Slack (and Teams) app, /healthz, /readyz and /metrics",
        description=(
            "Serve the chat apps over HTTP. Endpoints: POST /slack/events (Slack, HTTP mode), "
            "POST /api/messages (Teams, when its client id is set), GET /healthz, "
            "GET /readyz (database and policy), GET /metrics (Prometheus). "
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
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=(
            "worker processes sharing the port (default $WEB_CONCURRENCY, else 1); "
            "PostgreSQL is best for more than one"
        ),
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
    from bot.workspaces.deploy import check_production  # CANIPOST_ENV=production (issue 16)

    check_production(socket_mode=socket_mode)
    if socket_mode and "slack" not in platforms:
        raise ConfigError("Socket Mode needs SLACK_BOT_TOKEN (the xoxb- bot token) as well")
    if not platforms:
        logging.getLogger("canipost.server").warning(
            "no chat platform configured (SLACK_BOT_TOKEN unset): serving health and metrics only"
        )
    port = args.port if args.port is not None else int(os.environ.get("PORT") or DEFAULT_PORT)
    workers = (
        args.workers if args.workers is not None else int(os.environ.get("WEB_CONCURRENCY") or 1)
    )
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    mode = "Socket Mode" if socket_mode else "HTTP mode"
    log = logging.getLogger("canipost.server")
    access_log = logging.getLogger("aiohttp.access") if args.verbose else None

    def build() -> web.Application:
        return build_app(
            config,
            platforms=platforms,
            options={"slack": {"socket_mode": socket_mode}},
            tick=not args.no_tick,
        )

    if workers == 1:
        app = build()
        log.info("listening on %s:%d (%s)", args.host, port, mode)
        web.run_app(app, host=args.host, port=port, print=None, access_log=access_log)
        return 0
    sock = socket.create_server((args.host, port), reuse_port=False, backlog=1024)
    log.info("listening on %s:%d (%s, %d workers)", args.host, port, mode, workers)
    return _run_workers(workers, build, sock, access_log)


def _run_workers(
    workers: int,
    build: Callable[[], Any],
    sock: socket.socket,
    access_log: logging.Logger | None,
) -> int:
    """Fork ``workers`` processes serving one listening socket; stop them all together.

    Each worker builds its own app after the fork (threads, pools and database
    connections never cross a fork). The workflow's claims keep their
    notifications and ticks from doubling up.
    """
    from aiohttp import web

    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            status = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                web.run_app(build(), sock=sock, print=None, access_log=access_log)
            except BaseException:
                logging.getLogger("canipost.server").exception("worker failed")
                status = 1
            finally:
                os._exit(status)
        children.append(pid)
    sock.close()

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = False
    remaining = set(children)
    while remaining:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        remaining.discard(pid)
        # A worker stopped by our own SIGTERM (even mid-start-up) is a clean stop; one that
        # died on its own takes the others down, so the platform restarts the whole process.
        if os.waitstatus_to_exitcode(status) != 0 and not stopping:
            failed = True
            stop(signal.SIGTERM, None)
    return 1 if failed else 0
