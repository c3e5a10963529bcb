"""The Bolt app: build it, register the listeners, and that's all.

    app = build_slack_app(services)
    # HTTP:   bot.server.build_app(...) mounts it at POST /slack/events
    # Socket: bot.slack.socket.start_socket_mode(app, settings)

The app is transport-free (Bolt's ``App.dispatch``): the aiohttp route and
Socket Mode both feed it. One global middleware runs before any listener:
it drops Slack's redeliveries of events we already acknowledged (so a retry
never answers twice) and hands listeners the shared :class:`Services`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot.slack.client import make_web_client
from bot.slack.flows import report_error, send_to_response_url
from bot.slack.listeners import register_listeners
from bot.slack.services import Services

log = logging.getLogger("canipost.slack")

#: Threads for Bolt's own background runs (lazy listeners; we use none, our pools are in
#: Services), kept small.
LISTENER_WORKERS = 4


class _SeenEvents:
    """The event ids handled lately, so a redelivered event is acknowledged but not redone."""

    def __init__(self, size: int = 4096) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


def build_slack_app(
    services: Services,
    *,
    client: WebClient | None = None,
    listener_workers: int = LISTENER_WORKERS,
    oauth_settings: Any = None,
) -> App:
    """A Bolt app wired to ``services``; verifies signatures when a signing secret is set.

    ``SLACK_SIGNING_SECRET`` is required in HTTP mode (the server refuses to
    start without it); Socket Mode has no signatures to check.
    """
    settings = services.settings
    client = client or make_web_client(settings)
    # Bolt logs a rejected request's body at INFO; a body holds draft text, which
    # must not reach the log at INFO. The 401 itself is counted in /metrics.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    app = App(
        name="canipost",
        client=client,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=bool(settings.signing_secret),
        token_verification_enabled=bool(settings.bot_token),
        # The ack is sent when the listener returns; listeners return at once and hand
        # their Web API calls to Services.io (after_ack) and slow work to the slow pool.
        # (Bolt's other mode polls every 10 ms per request for the ack: costly under a burst.)
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        oauth_settings=oauth_settings,  # many workspaces: bot.slack.oauth (issue 16)
        listener_executor=ThreadPoolExecutor(
            max_workers=listener_workers, thread_name_prefix="canipost-listener"
        ),
    )
    seen = _SeenEvents()

    @app.middleware
    def prepare(
        request: BoltRequest, body: dict[str, Any], context: Any, next: Callable[[], None]
    ) -> BoltResponse | None:
        # We ack events at once, so a retry after a timeout means Slack missed our ack, not
        # that we missed the event: acknowledge it and do nothing, on whichever worker it
        # lands. A retry after an error or a failed connection never reached a listener, so
        # it is handled (once: the event id catches redeliveries within this process).
        if body.get("type") == "event_callback":
            retries = request.headers.get("x-slack-retry-num") or []
            reasons = request.headers.get("x-slack-retry-reason") or []
            reason = reasons[0] if reasons else ""
            event_id = str(body.get("event_id") or "")
            timed_out = bool(retries) and reason not in ("http_error", "connection_failed")
            if timed_out or (event_id and not seen.first_time(event_id)):
                log.info("dropped a redelivered event (retry %s, %s)", retries[:1], reason)
                return BoltResponse(status=200, body="")
        context["canipost"] = services  # how listeners reach the shared services
        next()
        return None

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        report_error(error, what=_what(body), tell=_teller(client, body))

    register_listeners(app)
    return app


def _what(body: dict[str, Any]) -> str:
    kind = str(body.get("type") or ("command" if "command" in body else "request"))
    if kind == "event_callback":
        kind = f"event {(body.get('event') or {}).get('type')}"
    return f"slack {kind}"


def _teller(client: WebClient, body: dict[str, Any]) -> Callable[[dict[str, Any]], Any] | None:
    """How to reach the person behind a failed request, privately."""
    url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or [] if r.get("response_url")),
        None,
    )
    if url:
        return lambda msg: send_to_response_url(str(url), msg)
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    event = body.get("event") or {}
    if not user and event.get("user") and event.get("channel"):
        channel, thread = event["channel"], event.get("thread_ts") or event.get("ts")
        return lambda msg: client.chat_postEphemeral(
            channel=channel, user=event["user"], thread_ts=thread, **msg
        )
    if user:
        return lambda msg: client.chat_postMessage(channel=str(user), **msg)
    return None
