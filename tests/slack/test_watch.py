"""The watch list from Slack: `/canipost watch …` (ephemeral) and DMs, approvers only."""

from __future__ import annotations

from slack_harness import APPROVER, AUTHOR, Slack, all_text


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
    assert "unknown kind" in all_text(slack.command("watch add gossip Jane Doe-Smith", user=APPROVER))


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
