"""The watch list from Slack: `/canipost watch …` (ephemeral) and DMs, approvers only."""

from __future__ import annotations

from slack_harness import APPROVER, AUTHOR, Slack, all_text, button_value

from bot.slack.blocks import (
    ACTION_WATCH_ADD,
    ACTION_WATCH_REMOVE,
    BLOCK_KIND,
    BLOCK_NOTE,
    BLOCK_TERM,
    BLOCK_UNTIL,
    INPUT_KIND,
    INPUT_NOTE,
    INPUT_TERM,
    INPUT_UNTIL,
    VIEW_WATCH,
    validate_view,
)
from bot.slack.testing import action_ids

HOME = {"id": "VHOME", "type": "home"}


def test_approver_adds_lists_and_removes_and_checks_flag_the_term(slack: Slack) -> None:
    added = slack.command("watch add codename Project Lighthouse until 2099-01-01", user=APPROVER)
    assert added["response_type"] == "ephemeral"
    assert "Added" in all_text(added) and "Project Lighthouse" in all_text(added)
    entry_id = all_text(added).split("Added ", 1)[1].split(" ", 1)[0]

    verdict = slack.command("Big news soon about Project Lighthouse!", user=AUTHOR)
    assert "Project Lighthouse" not in all_text(slack.command("watch list", user=AUTHOR))
    assert "Only comms approvers" in all_text(slack.command("watch list", user=AUTHOR))
    assert "Needs approval" in all_text(verdict) or "Do not post" in all_text(verdict)

    listed = slack.command("watch list", user=APPROVER)
    assert entry_id in all_text(listed) and "2099-01-01" in all_text(listed)
    removed = slack.command(f"watch remove {entry_id}", user=APPROVER)
    assert "Removed" in all_text(removed)
    assert "empty" in all_text(slack.command("watch list", user=APPROVER))


def test_bad_input_gets_the_usage_or_the_reason(slack: Slack) -> None:
    assert "watch add <kind>" in all_text(slack.command("watch frobnicate", user=APPROVER))
    assert "unknown kind" in all_text(
        slack.command("watch add gossip Jane Doe-Smith", user=APPROVER)
    )


def test_watch_in_a_channel_mention_is_refused_as_confidential(slack: Slack) -> None:
    slack.event(
        {
            "type": "app_mention",
            "channel": "CGENERAL",
            "user": APPROVER,
            "text": "<@UBOT> watch list",
            "ts": "1700000009.000100",
        }
    )
    reply = slack.api.wait_for("chat.postMessage")[0].args
    assert "confidential" in all_text(reply)


def test_app_home_watch_list_for_approvers_add_by_form_and_remove(slack: Slack) -> None:
    slack.event({"type": "app_home_opened", "user": AUTHOR, "tab": "home", "channel": "D1"})
    staff = slack.api.wait_for("views.publish")[-1].args
    assert "Watch list" not in all_text(staff)  # confidential: approvers only

    slack.event({"type": "app_home_opened", "user": APPROVER, "tab": "home", "channel": "D2"})
    home = slack.api.wait_for("views.publish", count=2)[-1].args
    assert "Watch list (0)" in all_text(home) and ACTION_WATCH_ADD in action_ids(home)

    slack.click(ACTION_WATCH_ADD, "", user=APPROVER, url=None, view=HOME)
    form = slack.api.wait_for("views.open")[-1].args["view"]
    assert form["callback_id"] == VIEW_WATCH
    values = {
        BLOCK_KIND: {INPUT_KIND: {"selected_option": {"value": "embargo"}}},
        BLOCK_TERM: {INPUT_TERM: {"value": "Riverside Library Reopening"}},
        BLOCK_UNTIL: {INPUT_UNTIL: {"selected_date": "2099-06-01"}},
        BLOCK_NOTE: {INPUT_NOTE: {"value": "Announced by the leader on 1 June"}},
    }
    assert slack.submit_view(VIEW_WATCH, values, user=APPROVER) == {}
    redrawn = slack.api.wait_for("views.publish", count=3)[-1].args
    validate_view(redrawn["view"])
    assert "Watch list (1)" in all_text(redrawn) and "until 2099-06-01" in all_text(redrawn)
    entry_id = button_value(redrawn, ACTION_WATCH_REMOVE)

    slack.click(ACTION_WATCH_REMOVE, entry_id, user=APPROVER, url=None, view=HOME)
    final = slack.api.wait_for("views.publish", count=4)[-1].args
    assert f"Removed {entry_id}" in all_text(final) and "Watch list (0)" in all_text(final)


def test_a_bad_term_is_refused_in_the_form(slack: Slack) -> None:
    values = {
        BLOCK_KIND: {INPUT_KIND: {"selected_option": {"value": "person"}}},
        BLOCK_TERM: {INPUT_TERM: {"value": "Jo"}},
    }
    answer = slack.submit_view(VIEW_WATCH, values, user=APPROVER)
    assert answer["response_action"] == "errors" and BLOCK_TERM in answer["errors"]
