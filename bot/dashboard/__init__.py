"""The comms team's web dashboard, served by ``canipost serve`` under ``/dashboard``.

    from bot.dashboard import setup
    setup(web_app, ctx)            # ctx: bot.server.app.ServerContext

Pages: the queue, a submission (decide from the browser), decisions history
with CSV export, charts, the policy with a "try a draft" box, and for
approvers the watch list and pending feedback. Sign-in by one-time link
(``canipost dashboard link``) or OpenID Connect (Slack, Microsoft Entra ID).

Every served check is counted without its text by :func:`record_verdict`
(see :mod:`bot.dashboard.stats`); import it lazily, it pulls in SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from bot.server.app import ServerContext
    from bot.store import Store
    from bot.verdict import Verdict


def setup(web_app: web.Application, ctx: ServerContext, **options: Any) -> None:
    """Mount the dashboard on the server's app, sharing its store, config and outbox."""
    import os

    from bot.dashboard.routes import install

    install(
        web_app,
        store=ctx.store,
        config=ctx.config,
        kick=ctx.pump.kick,
        public_url=options.pop("public_url", None) or os.environ.get("CANIPOST_PUBLIC_URL"),
        **options,
    )


def record_verdict(
    store: Store | None, verdict: Verdict, *, platform: str, workspace: str = ""
) -> bool:
    """Count one served check without its text; never raises (see :mod:`bot.dashboard.stats`)."""
    from bot.dashboard.stats import record_verdict as record

    return record(store, verdict, platform=platform, workspace=workspace)


def record_served(
    store: Store, verdict: Verdict, *, platform: str, workspace: str = "", key: str | None = None
) -> None:
    """Count a chat surface's check in the background, once per check id (never raises)."""
    from bot.dashboard.stats import record_served as record

    record(store, verdict, platform=platform, workspace=workspace, key=key)


def record_check(store: Store, **fields: Any) -> None:
    """Count one check from its fields (see :func:`bot.dashboard.stats.record_check`)."""
    from bot.dashboard.stats import record_check as record

    record(store, **fields)
