"""``POST /slack/events`` on the aiohttp server: translate, dispatch, translate back.

Like Bolt's own framework adapters this only converts a web request into a
:class:`BoltRequest` and a :class:`BoltResponse` back; the Bolt app decides
everything (signature and freshness checks included: unsigned, wrongly
signed or stale requests get 401 before any listener runs). ``App.dispatch``
blocks until the listener acks, so it runs on a thread pool, never on the
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.conversation.steps import Asker, Reviewer
from bot.errors import ConfigError
from bot.server.app import MAX_BODY, ServerContext
from bot.slack.app import build_slack_app
from bot.slack.client import make_web_client
from bot.slack.edges import malformed, signature_ok
from bot.slack.notifier import SlackNotifier
from bot.slack.services import IO_WORKERS, SLOW_WORKERS, Services, prestart
from bot.slack.settings import SlackSettings
from bot.slack.socket import start_socket_mode

log = logging.getLogger("canipost.slack")

#: Where the server keeps the Bolt app (tests and the benchmark reach it here).
SLACK_APP_KEY = web.AppKey("slack_app", App)

#: Concurrent Slack requests being dispatched; each waits only for its ack.
DISPATCH_WORKERS = 8

Observer = Callable[[str, int, float], None]


def to_bolt_request(body: str, request: web.Request) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {}
    for k in request.headers:
        headers[k.lower()] = request.headers.getall(k)
    return BoltRequest(body=body, query=request.query_string, headers=headers, mode="http")


def to_aiohttp_response(resp: BoltResponse) -> web.Response:
    headers = resp.first_headers_without_set_cookie()
    content_type = headers.pop("content-type", "text/plain;charset=utf-8").split(";")[0]
    return web.Response(
        status=resp.status, text=resp.body, headers=headers, content_type=content_type
    )


def slack_events_handler(
    bolt_app: App,
    *,
    signing_secret: str | None,
    workers: int = DISPATCH_WORKERS,
    observe: Observer | None = None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for Slack's requests, dispatching on its own thread pool.

    A body not shaped as Slack sends it is refused here (:mod:`bot.slack.edges`):
    401 when its signature is wrong as well, else 400; nothing reaches a listener.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="canipost-dispatch")
    prestart(pool, workers)

    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text="too large")
        body = (await request.read()).decode("utf-8", errors="replace")
        problem = malformed(body, request.content_type)
        if problem is not None:
            # Bolt would crash on it (HTTP 500 and a traceback); answer for it here.
            headers = {k.lower(): request.headers.get(k, "") for k in request.headers}
            if not signature_ok(signing_secret, body, headers):
                status = 401
                log.info("refused an unsigned malformed Slack request")
            else:
                status = 400
                log.warning("refused a signed Slack request: %s", problem)
            if observe is not None:
                observe("invalid", status, time.perf_counter() - started)
            return web.Response(status=status, text="invalid request")
        bolt_req = to_bolt_request(body, request)
        loop = asyncio.get_running_loop()
        bolt_resp = await loop.run_in_executor(pool, bolt_app.dispatch, bolt_req)
        if observe is not None:
            observe(_kind(bolt_req), bolt_resp.status, time.perf_counter() - started)
        return to_aiohttp_response(bolt_resp)

    return handle


def _kind(req: BoltRequest) -> str:
    body = req.body or {}
    if "command" in body:
        return "command"
    return str(body.get("type") or "other")


def install_routes(
    web_app: web.Application,
    ctx: ServerContext,
    *,
    settings: SlackSettings | None = None,
    socket_mode: bool = False,
    reviewer: Reviewer | None = None,
    asker: Asker | None = None,
    llm_enabled: bool | None = None,
) -> None:
    """The server's Slack installer: ``POST /slack/events`` (or Socket Mode) + the notifier.

    HTTP mode needs ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET``; Socket
    Mode needs ``SLACK_BOT_TOKEN`` and ``SLACK_APP_TOKEN`` and adds no route.
    """
    settings = settings or SlackSettings.from_env()
    if not settings.bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set (the xoxb- bot token from OAuth & Permissions)"
        )
    if socket_mode and not settings.app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
    if not socket_mode and not settings.signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode refuses unsigned requests "
            "(Basic Information → App Credentials → Signing Secret)"
        )
    client = make_web_client(settings)
    services = Services.build(
        settings=settings, reviewer=reviewer, asker=asker, llm_enabled=llm_enabled, **ctx.shared()
    )
    ctx.attach(services)
    prestart(services.io, IO_WORKERS)
    prestart(services.background, SLOW_WORKERS)
    ctx.notifier.add(
        "slack", SlackNotifier(client, channel=settings.approvers_channel, titles=services.titles)
    )
    bolt_app = build_slack_app(services, client=client)
    web_app[SLACK_APP_KEY] = bolt_app
    if not settings.approvers_channel:
        log.warning("CANIPOST_APPROVERS_CHANNEL is not set: approval cards cannot be posted")
    if socket_mode:
        web_app.cleanup_ctx.append(_socket_mode(bolt_app, settings.app_token))
        return

    def observe(kind: str, status: int, seconds: float) -> None:
        ctx.metrics.observe_platform("slack", kind, status, seconds)

    web_app.router.add_post(
        "/slack/events",
        slack_events_handler(bolt_app, signing_secret=settings.signing_secret, observe=observe),
    )


def _socket_mode(
    bolt_app: App, app_token: str | None
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def run(_app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        handler = await loop.run_in_executor(None, start_socket_mode, bolt_app, app_token)
        log.info("Socket Mode connected")
        try:
            yield
        finally:
            await loop.run_in_executor(None, handler.close)

    return run
