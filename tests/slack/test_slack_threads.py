"""A Slack DM thread (or a mention's thread) is one policy conversation per person (issue 13)."""

from __future__ import annotations

from collections.abc import Callable

from slack_harness import AUTHOR, STRANGER, Slack, all_text

from bot.ask.threads import ThreadId, load_turns


def _ask(slack: Slack, text: str, *, user: str, ts: str, thread: str) -> str:
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DAUTHOR",
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread,
        }
    )
    calls = slack.api.wait_for("chat.postMessage", where=lambda c: c.args.get("ts") is None)
    return all_text(calls[-1].args)


def test_a_follow_up_in_the_thread_is_read_against_the_first_question(
    make_slack: Callable[..., Slack],
) -> None:
    slack = make_slack(asker=None)  # the real bot.ask, with its thread memory
    first = _ask(slack, "Can I comment on a court case?", user=AUTHOR, ts="5.1", thread="5.1")
    assert "ourt" in first
    _ask(slack, "what about on my personal account?", user=AUTHOR, ts="5.2", thread="5.1")
    slack.api.wait_for("chat.postMessage", count=2)
    turns = load_turns(
        slack.ctx.store, ThreadId.of("", "slack", "DAUTHOR:5.1", AUTHOR), retention=None
    )
    assert [t.kind for t in turns] == ["question", "followup"]
    # someone else in the same thread has a conversation of their own
    _ask(slack, "Can I swear?", user=STRANGER, ts="5.3", thread="5.1")
    slack.api.wait_for("chat.postMessage", count=3)
    mine = load_turns(
        slack.ctx.store, ThreadId.of("", "slack", "DAUTHOR:5.1", AUTHOR), retention=None
    )
    assert len(mine) == 2
