from __future__ import annotations

import re

from slack_bolt import App

from bot.slack.blocks import (
    ACTION_APPROVE,
    ACTION_CHANGES,
    ACTION_FEEDBACK,
    ACTION_FEEDBACK_CONFIRM,
    ACTION_FEEDBACK_DISMISS,
    ACTION_OPEN_CHECK,
    ACTION_REJECT,
    ACTION_SUBMIT,
    ACTION_SUBMIT_JUSTIFY,
    ACTION_WATCH_ADD,
    ACTION_WATCH_REMOVE,
    ACTION_WITHDRAW,
)
from bot.slack.listeners.actions.decide import handle_approve, handle_note_decision
from bot.slack.listeners.actions.feedback import handle_feedback, handle_review_report
from bot.slack.listeners.actions.open_check import handle_open_check
from bot.slack.listeners.actions.submit import handle_submit, handle_submit_justify
from bot.slack.listeners.actions.watch import handle_watch_add, handle_watch_remove
from bot.slack.listeners.actions.withdraw import handle_withdraw


def register(app: App) -> None:
    app.action(ACTION_SUBMIT)(handle_submit)
    app.action(ACTION_SUBMIT_JUSTIFY)(handle_submit_justify)
    app.action(ACTION_APPROVE)(handle_approve)
    app.action(re.compile(f"^({ACTION_CHANGES}|{ACTION_REJECT})$"))(handle_note_decision)
    app.action(ACTION_WITHDRAW)(handle_withdraw)
    app.action(ACTION_OPEN_CHECK)(handle_open_check)
    app.action(ACTION_FEEDBACK)(handle_feedback)
    app.action(re.compile(f"^({ACTION_FEEDBACK_CONFIRM}|{ACTION_FEEDBACK_DISMISS})$"))(
        handle_review_report
    )
    app.action(ACTION_WATCH_ADD)(handle_watch_add)
    app.action(ACTION_WATCH_REMOVE)(handle_watch_remove)
