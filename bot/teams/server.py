"""``POST /api/messages`` on the aiohttp server: the SDK's JWT check, then the agent.

Like :mod:`bot.slack.http`, this only translates: the request goes through
the Agents SDK's own JWT validation (``jwt_authorization_decorator``: a
missing, malformed, wrongly signed, expired or wrong-audience token gets 401
before any route runs) and the SDK's ``CloudAdapter`` hands the activity to
the agent. Anonymous requests are accepted only with
``CANIPOST_TEAMS_ANONYMOUS=1`` (local testing, the Agents Playground).

    web_app = build_app(config, platforms=["teams"])   # bot.server
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    Connections,
    OutboundHostValidator,
    TurnState,
)

from bot.server.app import MAX_BODY, ServerContext
from bot.teams.agent import (
    auth_configuration,
    build_adapter,
    build_agent,
    connection_manager,
    host_validator,
)
from bot.teams.edges import malformed_activity
from bot.teams.flows import Background, Steps
from bot.teams.messenger import LoopThread, Messenger
from bot.teams.notifier import Target, TeamsNotifier
from bot.teams.services import Asker, Reviewer, TeamsServices, TenantServices
from bot.teams.settings import TeamsSettings
from bot.workflow.types import Submission

log = logging.getLogger("canipost.teams")

#: Where the server keeps the Teams pieces (tests and benchmarks reach them here).
TEAMS_KEY = web.AppKey("teams", Steps)
#: The app key the SDK's JWT decorator reads its configuration from (the SDK's own name).
SDK_AUTH_KEY = "agent_configuration"


def install_routes(
    web_app: web.Application,
    ctx: ServerContext,
    *,
    settings: TeamsSettings | None = None,
    connections: Connections | None = None,
    service_hosts: OutboundHostValidator | None = None,
    reviewer: Reviewer | None = None,
    asker: Asker | None = None,
    llm_enabled: bool | None = None,
) -> None:
    """The server's Teams installer: ``POST /api/messages`` + the Teams notifier.

    Needs ``CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID`` (and its
    secret) unless ``CANIPOST_TEAMS_ANONYMOUS=1``. ``connections`` replaces
    the SDK connection manager built from the environment (tests use a
    stand-in token provider so nothing calls Microsoft); ``service_hosts``
    replaces the check of activities' ``serviceUrl`` (tests allow loopback).
    """
    settings = settings or TeamsSettings.from_env()
    settings.check()
    connections = connections or connection_manager(settings)
    services = TeamsServices.build(
        reviewer=reviewer, asker=asker, llm_enabled=llm_enabled, **ctx.shared()
    )
    ctx.attach(services)
    tenants = TenantServices(
        services,
        ctx.store,
        home_tenant=settings.tenant_id,
        reviewer=reviewer,
        asker=asker,
        llm_enabled=llm_enabled,
    )
    adapter = build_adapter(connections, validator=service_hosts or host_validator(settings))
    messenger = Messenger(adapter, app_id=settings.client_id, anonymous=settings.anonymous)
    steps = Steps(services, messenger, Background(), tenants)
    agent = build_agent(steps, connections)
    runner = LoopThread()
    ctx.notifier.add(
        "teams",
        TeamsNotifier(
            messenger,
            channel=settings.approvers_channel,
            service_url=settings.service_url,
            tenant_id=settings.tenant_id,
            titles=services.titles,
            runner=runner,
            approvers=sorted(ctx.config.approvers.ids_for("teams")),
            target=tenant_targets(ctx, tenants, settings),
        ),
    )
    with warnings.catch_warnings():
        # The SDK's decorator looks this up by its string name; aiohttp would prefer an AppKey.
        warnings.simplefilter("ignore")
        web_app[SDK_AUTH_KEY] = auth_configuration(settings, connections)
    # The same for the request key the SDK's JWT middleware sets on every request.
    warnings.filterwarnings(
        "ignore",
        category=web.NotAppKeyWarning,
        module=r"microsoft_agents\.hosting\.aiohttp\.jwt_authorization_middleware",
    )
    web_app[TEAMS_KEY] = steps
    if settings.anonymous:
        log.warning(
            "CANIPOST_TEAMS_ANONYMOUS is on: /api/messages accepts unauthenticated activities. "
            "Use it only for local testing."
        )
        # Expected without an app id in local mode; said once here rather than every turn.
        logging.getLogger(
            "microsoft_agents.hosting.core.connector.client.user_token_client"
        ).setLevel(logging.ERROR)
    if not settings.approvers_channel:
        log.warning("CANIPOST_TEAMS_APPROVERS_CHANNEL is not set: approval cards cannot be posted")

    def observe(kind: str, status: int, seconds: float) -> None:
        ctx.metrics.observe_platform("teams", kind, status, seconds)

    web_app.router.add_post("/api/messages", messages_handler(agent, adapter, observe=observe))
    web_app.cleanup_ctx.append(_lifecycle(steps, runner))


def tenant_targets(
    ctx: ServerContext, tenants: TenantServices, settings: TeamsSettings
) -> Callable[[Submission], Target]:
    """Where each submission's approval card goes: its own tenant's channel and approvers.

    The home tenant (and a single-organisation install) falls back to
    ``CANIPOST_TEAMS_APPROVERS_CHANNEL``; any other tenant only ever uses the channel its
    admin set, so no tenant's drafts reach another tenant's channel.
    """

    def target(submission: Submission) -> Target:
        from sqlalchemy import select

        from bot.store import models as m

        with ctx.store.read() as s:
            workspace = s.execute(
                select(m.Submission.workspace).where(m.Submission.id == submission.id)
            ).scalar_one_or_none()
        workspace = workspace or ""
        resolved = tenants.resolved(workspace)
        approvers = sorted(resolved.config.approvers.ids_for("teams"))
        if workspace == "":
            channel = resolved.approvers_channel(settings.approvers_channel)
            return Target(channel, settings.tenant_id, approvers)
        return Target(resolved.approvers_channel(), workspace, approvers)

    return target


def messages_handler(
    agent: AgentApplication[TurnState],
    adapter: Any,
    *,
    observe: Callable[[str, int, float], None] | None = None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for Teams' activities, behind the SDK's JWT check.

    An authenticated body that is not an activity Teams sends is refused with
    400 and one log line (:mod:`bot.teams.edges`); the agent never sees it.
    """

    @jwt_authorization_decorator
    async def authorized(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()  # aiohttp keeps the body for the SDK's own read
        except ValueError:
            body = None
        problem = "body is not JSON" if body is None else malformed_activity(body)
        if problem is not None:
            log.warning("refused a Teams activity: %s", problem)
            return web.json_response({"error": "invalid activity"}, status=400)
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text="too large")
        response: web.StreamResponse = await authorized(request)
        if observe is not None:
            observe(await _kind(request), response.status, time.perf_counter() - started)
        return response

    return handle


#: Activity kinds counted by name in /metrics; anything else is "other" (bounded labels).
_KINDS = frozenset({"message", "conversationUpdate", "installationUpdate", "messageReaction"})
_INVOKES = frozenset(
    {"adaptiveCard/action", "composeExtension/fetchTask", "composeExtension/submitAction"}
)


async def _kind(request: web.Request) -> str:
    try:
        body = await request.json()  # aiohttp keeps the body: no second read
    except ValueError:
        return "invalid"
    if not isinstance(body, dict):
        return "invalid"
    kind, name = str(body.get("type")), str(body.get("name"))
    if kind == "invoke":
        return f"invoke {name}" if name in _INVOKES else "invoke other"
    return kind if kind in _KINDS else "other"


def _lifecycle(steps: Steps, runner: LoopThread) -> Callable[[web.Application], Any]:
    async def run(_app: web.Application) -> AsyncIterator[None]:
        yield
        await steps.background.cancel()
        steps.services.pool.shutdown(wait=False, cancel_futures=True)
        runner.stop()

    return run
