"""The Slack app: ``/canipost``, the approvers' channel, App Home, DMs and mentions.

    from bot.slack import Services, SlackSettings, build_slack_app
    app = build_slack_app(Services.build(config=cfg, workflow=wf,
                                         settings=SlackSettings.from_env()))

Layout (after the slack-samples Bolt apps): :mod:`bot.slack.app` builds the
app; ``listeners/<kind>/<trigger>.py`` hold one listener each;
:mod:`bot.slack.blocks` has pure Block Kit builders and the limit checks;
:mod:`bot.slack.notifier` carries workflow messages; :mod:`bot.slack.http`
and :mod:`bot.slack.socket` are the two transports.
"""

from __future__ import annotations

from bot.slack.app import build_slack_app
from bot.slack.notifier import SlackNotifier
from bot.slack.services import Services
from bot.slack.settings import SlackSettings

__all__ = ["Services", "SlackNotifier", "SlackSettings", "build_slack_app"]
