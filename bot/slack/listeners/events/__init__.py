from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.events.app_home_opened import handle_app_home_opened
from bot.slack.listeners.events.app_mention import handle_app_mention
from bot.slack.listeners.events.message_im import handle_message_im, is_person_in_dm


def register(app: App) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("app_mention")(handle_app_mention)
    app.event("message", matchers=[is_person_in_dm])(handle_message_im)
    # Edits, deletions and other message subtypes in DMs are not questions: acknowledge quietly.
    app.event("message")(lambda ack: ack())
