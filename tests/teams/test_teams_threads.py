"""A Teams chat (or a channel's reply chain) is one policy conversation per person (issue 13)."""

from __future__ import annotations

from collections.abc import Callable

from teams_harness import AUTHOR, Teams

from bot.ask.threads import ThreadId, load_turns


def test_a_follow_up_in_the_chat_is_read_against_the_first_question(
    make_teams: Callable[..., Teams],
) -> None:
    teams = make_teams(asker=None)  # the real bot.ask, with its thread memory
    teams.say("Can I comment on a court case?")
    teams.wait("reply", text="ourt")
    teams.say("what about on my personal account?")
    teams.connector.wait_for(lambda calls: len([c for c in calls if c.kind == "reply"]) >= 2)
    tid = ThreadId.of("", "teams", "a:personal-chat", AUTHOR.aad)
    assert [t.kind for t in load_turns(teams.ctx.store, tid, retention=None)] == [
        "question",
        "followup",
    ]
