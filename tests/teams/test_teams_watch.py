"""The watch list from Teams: `watch …` in the personal chat, approvers only, never in a channel."""

from __future__ import annotations

from teams_harness import APPROVER, AUTHOR, Teams


def test_approver_manages_the_watch_list_in_the_personal_chat(teams: Teams) -> None:
    teams.say("watch add codename Project Lighthouse", user=APPROVER)
    (added,) = teams.wait("reply", text="Added")
    assert "codename: Project Lighthouse" in added.text
    teams.say("watch list", user=AUTHOR)
    assert teams.wait("reply", text="Only comms approvers")
    teams.say("review: Big news soon about Project Lighthouse!", user=AUTHOR)
    verdict = teams.wait("reply", text="Policy version")[-1]
    assert verdict.card is not None
    title = verdict.card["body"][0]["items"][0]["text"]
    assert "OK to post" not in title  # the watch list flags it


def test_watch_in_a_channel_is_refused_as_confidential(teams: Teams) -> None:
    teams.say(
        "watch list",
        user=APPROVER,
        conversation="19:general@thread.tacv2",
        conversation_type="channel",
    )
    assert teams.wait("reply", text="confidential")
