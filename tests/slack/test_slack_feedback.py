""" "Was this right?" on a Slack verdict, through the real Bolt app with signed requests."""

from __future__ import annotations

import json
from typing import Any

from slack_harness import APPROVER, RISKY, SAFE, Slack, all_text, button_value
from slack_harness import feedback_form as _form

from bot.feedback import list_feedback
from bot.slack.blocks import (
    ACTION_FEEDBACK,
    ACTION_FEEDBACK_CONFIRM,
    ACTION_FEEDBACK_DISMISS,
    VIEW_FEEDBACK,
    validate_view,
)

HOME = {"id": "VHOME", "type": "home"}


def _report(slack: Slack, draft: str, form: dict[str, Any], *, user: str) -> dict[str, Any]:
    ack = slack.command(draft, user=user)
    slack.click(ACTION_FEEDBACK, button_value(ack, ACTION_FEEDBACK), user=user)
    opened = slack.api.wait_for("views.open")[-1].args["view"]
    assert opened["callback_id"] == VIEW_FEEDBACK
    return slack.submit_view(
        VIEW_FEEDBACK, form, user=user, private_metadata=opened["private_metadata"]
    )


def test_every_verdict_asks_was_this_right(slack: Slack) -> None:
    for draft in (SAFE, RISKY):
        assert "Was this right?" in all_text(slack.command(draft))


def test_a_false_alarm_report_is_stored_pending_for_approvers(slack: Slack) -> None:
    answer = _report(slack, RISKY, _form("ok", [], "It's a joke between colleagues"), user="USTAFF")
    assert answer["response_action"] == "update"
    assert "false alarm" in all_text(answer) and "Comms will look at it" in all_text(answer)
    (item,) = list_feedback(slack.ctx.store, slack.ctx.config, pending=True)
    assert (item.expected, item.kind, item.platform, item.by) == (
        "ok",
        "false_alarm",
        "slack",
        "USTAFF",
    )


def test_an_approvers_missed_report_counts_at_once(slack: Slack) -> None:
    answer = _report(slack, SAFE, _form("needs_approval", ["reputation"]), user=APPROVER)
    assert "counts at once" in all_text(answer)
    (item,) = list_feedback(slack.ctx.store, slack.ctx.config)
    assert (item.expected, item.categories, item.status) == (
        "needs_approval",
        ["reputation"],
        "confirmed",
    )


def test_an_unknown_category_is_refused_in_the_form(slack: Slack) -> None:
    answer = _report(slack, SAFE, _form("advise", ["gossip"]), user="USTAFF")
    assert answer["response_action"] == "errors"
    assert "unknown category" in json.dumps(answer)
    assert list_feedback(slack.ctx.store, slack.ctx.config) == []


def test_approvers_review_pending_reports_in_app_home(slack: Slack) -> None:
    _report(slack, RISKY, _form("ok", ["conflict"], "Banter"), user="USTAFF")
    slack.event({"type": "app_home_opened", "user": "USTAFF", "tab": "home", "channel": "D1"})
    staff_home = slack.api.wait_for("views.publish")[-1].args
    assert "Reports to review" not in all_text(staff_home)  # approvers only

    slack.event({"type": "app_home_opened", "user": APPROVER, "tab": "home", "channel": "D2"})
    home = slack.api.wait_for("views.publish", count=2)[-1].args
    validate_view(home["view"])
    assert "Reports to review (1)" in all_text(home) and "Banter" in all_text(home)
    report_id = button_value(home, ACTION_FEEDBACK_CONFIRM)

    slack.click(ACTION_FEEDBACK_CONFIRM, report_id, user=APPROVER, url=None, view=HOME)
    redrawn = slack.api.wait_for("views.publish", count=3)[-1].args
    assert f"Confirmed report {report_id}" in all_text(redrawn)
    assert "Reports to review (0)" in all_text(redrawn)
    (item,) = list_feedback(slack.ctx.store, slack.ctx.config)
    assert (item.status, item.reviewed_by) == ("confirmed", APPROVER)


def test_only_approvers_may_confirm_a_report(slack: Slack) -> None:
    _report(slack, RISKY, _form("ok", []), user="USTAFF")
    (item,) = list_feedback(slack.ctx.store, slack.ctx.config)
    slack.click(ACTION_FEEDBACK_DISMISS, item.id, user="USTAFF", url=None, view=HOME)
    home = slack.api.wait_for("views.publish")[-1].args
    assert "Only comms approvers" in all_text(home)
    assert list_feedback(slack.ctx.store, slack.ctx.config, pending=True) == [item]
