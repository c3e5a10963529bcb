from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.commands.canipost import handle_canipost


def register(app: App) -> None:
    app.command("/canipost")(handle_canipost)
