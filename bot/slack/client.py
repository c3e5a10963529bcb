"""The Web API client: ``SLACK_API_URL`` as base, retries on 429 and on connection errors.

Slack answers 429 with ``Retry-After``; slack_sdk's :class:`RateLimitErrorRetryHandler`
sleeps exactly that long before retrying, so we never hammer a rate-limited
method. Connection resets (a proxy or Slack edge restarting) are retried too.
Both handlers only retry; nothing here logs tokens or payloads.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot.slack.settings import SlackSettings

#: Retries per call: generous for 429 (Slack asks us to wait), modest for network errors.
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
#: Seconds before a Web API call gives up; Slack's own p99 is far below this.
TIMEOUT = 10


def retry_handlers() -> list[RetryHandler]:
    """The retry policy shared by every client we build."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


def make_web_client(settings: SlackSettings, *, token: str | None = None) -> WebClient:
    """A WebClient pointed at ``settings.api_url`` with our retry handlers.

    >>> make_web_client(SlackSettings(bot_token="xoxb-1")).base_url
    'https://slack.com/api/'
    """
    return WebClient(
        token=token or settings.bot_token,
        base_url=settings.api_url,
        timeout=TIMEOUT,
        retry_handlers=retry_handlers(),
    )
