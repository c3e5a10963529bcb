"""A plain DM means the same in Slack as in Teams: a pasted post is reviewed, a question answered."""

from __future__ import annotations

from slack_harness import AUTHOR, Slack, all_text

from bot.slack.blocks import ACTION_SUBMIT
from bot.slack.testing import action_ids


def _dm(slack: Slack, text: str, ts: str) -> dict[str, object]:
    status, _ = slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DAUTHOR",
            "user": AUTHOR,
            "text": text,
            "ts": ts,
        }
    )
    assert status == 200
    reply = slack.api.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == ts)
    return reply[0].args


def test_a_pasted_post_in_a_dm_is_reviewed(slack: Slack) -> None:
    reply = _dm(slack, "I think the council will scrap the bin collections next year.", "17.1")
    assert "Needs approval from comms" in all_text(reply)
    assert ACTION_SUBMIT in action_ids(reply)


def test_a_question_in_a_dm_is_answered_and_ask_forces_one(slack: Slack) -> None:
    assert "Court cases" in all_text(_dm(slack, "Is it OK to share a photo of a pupil", "17.2"))
    forced = _dm(slack, "ask: Great turnout at the library today!", "17.3")
    assert "Court cases" in all_text(forced)  # the stand-in answer, not a verdict
    assert ACTION_SUBMIT not in action_ids(forced)
