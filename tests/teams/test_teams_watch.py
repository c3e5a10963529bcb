"""The watch list from Teams: `watch …` in the personal chat, approvers only, never in a channel."""

from __future__ import annotations

from teams_harness import APPROVER, AUTHOR, Teams, card_text

from bot.teams.card_schema import validate_card
from bot.teams.cards import (
    INPUT_WATCH_KIND,
    INPUT_WATCH_TERM,
    INPUT_WATCH_UNTIL,
    VERB_WATCH_ADD,
    VERB_WATCH_REMOVE,
)


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


def test_the_watch_card_adds_and_removes_entries(teams: Teams) -> None:
    teams.say("watch", user=APPROVER)
    (listing,) = teams.wait("reply", text="Watch list (0)")
    assert listing.card is not None and listing.returned_id
    validate_card(listing.card)
    added = teams.click(
        VERB_WATCH_ADD,
        {
            INPUT_WATCH_KIND: "embargo",
            INPUT_WATCH_TERM: "Riverside Library Reopening",
            INPUT_WATCH_UNTIL: "2099-06-01",
        },
        user=APPROVER,
        card_id=listing.returned_id,
    )
    card = added["value"]
    validate_card(card)
    assert "Watch list (1)" in card_text(card) and "until 2099-06-01" in card_text(card)
    (entry_id,) = [
        a["data"]["eid"]
        for el in card["body"]
        if el["type"] == "Container"
        for item in el["items"]
        if item["type"] == "ActionSet"
        for a in item["actions"]
    ]
    removed = teams.click(
        VERB_WATCH_REMOVE, {"eid": entry_id}, user=APPROVER, card_id=listing.returned_id
    )
    assert "Watch list (0)" in card_text(removed["value"])
    refused = teams.click(
        VERB_WATCH_ADD,
        {INPUT_WATCH_KIND: "person", INPUT_WATCH_TERM: "Jo"},
        user=APPROVER,
        card_id=listing.returned_id,
    )
    assert "Watch list" not in str(refused.get("value"))  # a message, not the card


def test_staff_get_no_watch_card(teams: Teams) -> None:
    teams.say("watch", user=AUTHOR)
    assert teams.wait("reply", text="Only comms approvers")
