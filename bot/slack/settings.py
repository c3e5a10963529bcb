"""Slack settings from the environment: explicit argument, else the variable, else the default.

settings = SlackSettings.from_env()
settings.http_ready    # bot token + signing secret: HTTP mode can run
settings.socket_ready  # bot token + app token: Socket Mode can run
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """What the Slack adapter needs; secrets are never part of ``repr``."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    approvers_channel: str | None = None

    def __repr__(self) -> str:  # never print secrets, even by accident in a log line
        return (
            f"SlackSettings(bot_token={'set' if self.bot_token else None}, "
            f"signing_secret={'set' if self.signing_secret else None}, "
            f"app_token={'set' if self.app_token else None}, api_url={self.api_url!r}, "
            f"approvers_channel={self.approvers_channel!r})"
        )

    @classmethod
    def from_env(
        cls,
        *,
        bot_token: str | None = None,
        signing_secret: str | None = None,
        app_token: str | None = None,
        api_url: str | None = None,
        approvers_channel: str | None = None,
    ) -> SlackSettings:
        """Explicit arguments win; otherwise ``SLACK_*`` / ``CANIPOST_APPROVERS_CHANNEL``."""
        env = os.environ
        url = api_url or env.get("SLACK_API_URL") or DEFAULT_API_URL
        return cls(
            bot_token=bot_token or env.get("SLACK_BOT_TOKEN") or None,
            signing_secret=signing_secret or env.get("SLACK_SIGNING_SECRET") or None,
            app_token=app_token or env.get("SLACK_APP_TOKEN") or None,
            api_url=url if url.endswith("/") else url + "/",
            approvers_channel=approvers_channel or env.get("CANIPOST_APPROVERS_CHANNEL") or None,
        )

    @property
    def http_ready(self) -> bool:
        return bool(self.bot_token and self.signing_secret)

    @property
    def socket_ready(self) -> bool:
        return bool(self.bot_token and self.app_token)
