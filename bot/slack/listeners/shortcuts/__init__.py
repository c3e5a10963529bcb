from __future__ import annotations

from slack_bolt import App

from bot.slack.blocks import SHORTCUT_CHECK_MESSAGE
from bot.slack.listeners.shortcuts.check_message import handle_check_message


def register(app: App) -> None:
    app.shortcut(SHORTCUT_CHECK_MESSAGE)(handle_check_message)
