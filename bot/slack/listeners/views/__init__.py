from __future__ import annotations

from slack_bolt import App

from bot.slack.blocks import VIEW_CHECK, VIEW_FEEDBACK, VIEW_JUSTIFY, VIEW_NOTE, VIEW_WATCH
from bot.slack.listeners.views.check_form import handle_check_form
from bot.slack.listeners.views.decision_note import handle_decision_note
from bot.slack.listeners.views.feedback import handle_feedback_form
from bot.slack.listeners.views.justification import handle_justification
from bot.slack.listeners.views.watch import handle_watch_form


def register(app: App) -> None:
    app.view(VIEW_CHECK)(handle_check_form)
    app.view(VIEW_NOTE)(handle_decision_note)
    app.view(VIEW_JUSTIFY)(handle_justification)
    app.view(VIEW_FEEDBACK)(handle_feedback_form)
    app.view(VIEW_WATCH)(handle_watch_form)
