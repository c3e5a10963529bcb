"""The one HTTP process of ``canipost serve``: health, readiness, metrics, and each platform.

    web_app = build_app(load_config(), platforms=["slack"])
    web.run_app(web_app, port=3000)

Platforms plug in through a registry of *route installers*: a function
``install(web_app, ctx, **options)`` that adds its routes (and its notifier
to ``ctx.notifier``). Slack's is built in; Teams adds ``POST /api/messages``
by providing ``bot.teams.server:install_routes`` (already registered by
name, imported only when asked for) or by calling::

    register_platform("teams", install_routes)

Endpoints (see CONTRACT.md): ``GET /healthz`` (alive), ``GET /readyz``
(database answers and policy loaded, else 503), ``GET /metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from bot.config import Config, load_config
from bot.conversation.refs import DraftRef
from bot.conversation.steps import CheckObserver, Conversation
from bot.errors import ConfigError
from bot.policy import load_policy
from bot.server.background import FanoutNotifier, OutboxPump, tick_once
from bot.server.metrics import Metrics
from bot.store import Store, open_store
from bot.verdict import Verdict
from bot.workflow import Workflow, WorkflowSettings

log = logging.getLogger("canipost.server")


@dataclass
class ServerContext:
    """What installers share: one store, one workflow, one outbox, one metrics registry.

    ``workflow`` records without sending (``inline=False``: request paths stay
    fast) and carries the fan-out notifier, which the outbox pump and the tick
    use to send what it queued.
    """

    config: Config
    store: Store
    workflow: Workflow
    notifier: FanoutNotifier
    metrics: Metrics
    pump: OutboxPump
    policy_version: str
    platforms: list[str] = field(default_factory=list)
    #: Called after every chat check (verdict, draft ref, platform); surfaces share this list.
    check_observers: list[CheckObserver] = field(default_factory=list)

    def shared(self) -> dict[str, Any]:
        """What every surface's conversation takes from the host: config, workflow, outbox."""
        return {"config": self.config, "workflow": self.workflow, "deliver": self.pump.kick}

    def attach(self, conversation: Conversation) -> None:
        """Count the surface's review stages in /metrics and let observers see its checks."""
        conversation.observe = self.metrics.observe_stage
        conversation.check_observers = self.check_observers


class RouteInstaller(Protocol):
    def __call__(self, web_app: web.Application, ctx: ServerContext, **options: Any) -> None: ...


#: Platform name → installer, or "module:function" imported only when that platform is used.
_INSTALLERS: dict[str, RouteInstaller | str] = {
    "slack": "bot.slack.oauth:install_routes",  # one bot token, or OAuth for many (issue 16)
    "teams": "bot.teams.server:install_routes",
}

CONTEXT_KEY = web.AppKey("canipost", ServerContext)
#: No chat platform sends a bigger request body; a bigger one is not theirs (413).
MAX_BODY = 1024 * 1024


def register_platform(name: str, installer: RouteInstaller | str) -> None:
    """Make ``platforms=[name]`` call ``installer`` (a function or ``"module:function"``)."""
    _INSTALLERS[name] = installer


def installer_for(name: str) -> RouteInstaller:
    entry = _INSTALLERS.get(name)
    if entry is None:
        raise ConfigError(f"unknown platform {name!r}; known: {', '.join(sorted(_INSTALLERS))}")
    if isinstance(entry, str):
        module, _, func = entry.partition(":")
        try:
            fn: RouteInstaller = getattr(importlib.import_module(module), func)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"platform {name!r} is not available in this build ({exc})") from None
        return fn
    return entry


def configured_platforms(env: Mapping[str, str] | None = None) -> list[str]:
    """The platforms whose credentials are in the environment."""
    env = os.environ if env is None else env
    found = []
    if env.get("SLACK_BOT_TOKEN") or env.get("SLACK_CLIENT_ID"):
        found.append("slack")
    anonymous = env.get("CANIPOST_TEAMS_ANONYMOUS", "").strip().lower() in (
        "1",
        "true",
        "yes",
        "on",
    )
    if env.get("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID") or anonymous:
        found.append("teams")
    return found


def build_context(config: Config, *, store: Store | None = None) -> ServerContext:
    """Open the store (migrated), load the policy, wire workflow, outbox and metrics."""
    WorkflowSettings.from_config(config)  # fail at startup on a bad workflow section
    policy = load_policy(config)
    store = store or open_store()
    metrics = Metrics()
    notifier = FanoutNotifier()
    workflow = Workflow(store, config=config, notifier=notifier, inline=False)
    notifier.workflow = workflow
    return ServerContext(
        config=config,
        store=store,
        workflow=workflow,
        notifier=notifier,
        metrics=metrics,
        pump=OutboxPump(workflow, metrics),
        policy_version=policy.version,
    )


def build_app(
    config: Config | None = None,
    *,
    platforms: Iterable[str] | None = None,
    store: Store | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    tick: bool = True,
) -> web.Application:
    """The aiohttp application of ``canipost serve``.

    ``platforms`` defaults to those configured in the environment;
    ``options[platform]`` is passed to that platform's installer (tests use
    it to swap in an LLM stand-in). ``tick`` runs the workflow tick every
    ``workflow.tick_seconds`` in this process.
    """
    config = config or load_config()
    ctx = build_context(config, store=store)
    web_app = web.Application(middlewares=[_metrics_middleware(ctx.metrics)], client_max_size=2**20)
    web_app[CONTEXT_KEY] = ctx
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics_endpoint)
    from bot.dashboard import setup as setup_dashboard  # the comms team's web dashboard

    setup_dashboard(web_app, ctx, **dict((options or {}).get("dashboard", {})))
    ctx.check_observers.append(_count_for_dashboard(ctx))
    chosen = list(configured_platforms() if platforms is None else platforms)
    for name in chosen:
        installer_for(name)(web_app, ctx, **dict((options or {}).get(name, {})))
        ctx.platforms.append(name)
    web_app.cleanup_ctx.append(_background(ctx, tick=tick))
    log.info("server ready for: %s", ", ".join(ctx.platforms) or "no chat platform")
    return web_app


def _count_for_dashboard(ctx: ServerContext) -> CheckObserver:
    """The dashboard's text-free count of every check a chat surface served."""

    def observe(verdict: Verdict, ref: DraftRef, platform: str) -> None:
        from bot.dashboard import record_served

        record_served(
            ctx.store,
            verdict,
            platform=platform,
            workspace=ctx.config.workspace,
            key=ref.check or None,
        )

    return observe


def context_of(web_app: web.Application) -> ServerContext:
    return web_app[CONTEXT_KEY]


# ---------------------------------------------------------------------- endpoints


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    loop = asyncio.get_running_loop()
    db_ok = await loop.run_in_executor(None, ctx.store.ping)
    policy_ok = bool(ctx.policy_version)
    from bot.learned.live import status as learned_status  # which model, and any fallback

    learned = await loop.run_in_executor(None, learned_status, ctx.config.workspace)
    body = {
        "database": "ok" if db_ok else "unreachable",
        "policy": ctx.policy_version if policy_ok else "not loaded",
        "platforms": ctx.platforms,
        "learned": learned,
    }
    return web.json_response(body, status=200 if db_ok and policy_ok else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    data, content_type = request.app[CONTEXT_KEY].metrics.render()
    return web.Response(body=data, headers={"Content-Type": content_type})


def _metrics_middleware(metrics: Metrics) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        # Label by route, not raw path, so scanners cannot blow up the label set.
        route = request.match_info.route.resource
        path = route.canonical if route is not None else "unmatched"
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.http_requests.labels(path, str(status)).inc()
            metrics.http_seconds.labels(path).observe(time.perf_counter() - started)

    return middleware


# ---------------------------------------------------------------------- background work


def _background(
    ctx: ServerContext, *, tick: bool
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def run(_app: web.Application) -> AsyncIterator[None]:
        ctx.pump.start()
        ctx.pump.kick()  # anything left owing from before a restart
        task = asyncio.create_task(_tick_loop(ctx)) if tick else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.get_running_loop().run_in_executor(None, ctx.pump.stop)

    return run


async def _tick_loop(ctx: ServerContext) -> None:
    every = WorkflowSettings.from_config(ctx.config).tick_seconds
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(every)
        await loop.run_in_executor(None, tick_once, ctx.workflow, ctx.metrics)
