""" "Was this right?" on a Teams verdict card, through the real agent with signed activities."""

from __future__ import annotations

from typing import Any

from teams_harness import APPROVER, AUTHOR, RISKY, SAFE, Teams, card_text

from bot.feedback import list_feedback
from bot.teams.card_schema import validate_card
from bot.teams.cards import (
    INPUT_CATEGORIES,
    INPUT_EXPECTED,
    INPUT_FEEDBACK_NOTE,
    VERB_FEEDBACK,
    VERB_FEEDBACK_DISMISS,
)
from bot.teams.testing import TeamsUser


def _form_of(teams: Teams, draft: str, user: TeamsUser) -> tuple[dict[str, Any], str]:
    status, _ = teams.say(f"review: {draft}", user=user)
    assert status == 202
    verdict = teams.last_card()
    assert verdict.card is not None and verdict.returned_id
    validate_card(verdict.card)
    (shown,) = [a for a in verdict.card["actions"] if a["type"] == "Action.ShowCard"]
    assert shown["title"] == "Was this right?"
    send = shown["card"]["actions"][0]
    assert send["verb"] == VERB_FEEDBACK
    return dict(send["data"]), verdict.returned_id


def _report(teams: Teams, draft: str, user: TeamsUser, **inputs: str) -> str:
    data, card_id = _form_of(teams, draft, user)
    answer = teams.click(VERB_FEEDBACK, {**data, **inputs}, user=user, card_id=card_id)
    return str(answer.get("value"))


def test_a_false_alarm_report_waits_for_an_approver(teams: Teams) -> None:
    reply = _report(
        teams, RISKY, AUTHOR, **{INPUT_EXPECTED: "ok", INPUT_FEEDBACK_NOTE: "It's a fair view"}
    )
    assert "false alarm" in reply and "Comms will look at it" in reply
    (item,) = list_feedback(teams.ctx.store, teams.ctx.config, pending=True)
    assert (item.expected, item.kind, item.platform, item.by) == (
        "ok",
        "false_alarm",
        "teams",
        AUTHOR.aad,
    )


def test_an_approvers_report_with_categories_counts_at_once(teams: Teams) -> None:
    reply = _report(
        teams,
        SAFE,
        APPROVER,
        **{INPUT_EXPECTED: "needs_approval", INPUT_CATEGORIES: "reputation,sensitivity"},
    )
    assert "counts at once" in reply
    (item,) = list_feedback(teams.ctx.store, teams.ctx.config)
    assert (item.categories, item.status) == (["reputation", "sensitivity"], "confirmed")


def test_a_report_without_a_decision_is_refused_and_nothing_stored(teams: Teams) -> None:
    reply = _report(teams, SAFE, AUTHOR)
    assert "unknown decision" in reply
    assert list_feedback(teams.ctx.store, teams.ctx.config) == []
    assert "Was this right?" in card_text(teams.last_card().card)


def test_approvers_confirm_or_dismiss_reports_from_a_card(teams: Teams) -> None:
    _report(teams, RISKY, AUTHOR, **{INPUT_EXPECTED: "ok", INPUT_FEEDBACK_NOTE: "Banter"})
    status, _ = teams.say("reports", user=AUTHOR)
    assert status == 202
    assert "Only comms approvers" in teams.wait("reply", text="Only comms approvers")[-1].text

    teams.say("reports", user=APPROVER)
    (listing,) = teams.wait("reply", text="Reports to review (1)")
    assert listing.card is not None and "Banter" in card_text(listing.card)
    validate_card(listing.card)
    (item,) = list_feedback(teams.ctx.store, teams.ctx.config, pending=True)
    assert listing.returned_id
    answer = teams.click(
        VERB_FEEDBACK_DISMISS, {"fid": item.id}, user=APPROVER, card_id=listing.returned_id
    )
    shown = card_text(answer.get("value"))
    assert f"Dismissed report {item.id}" in shown and "Reports to review (0)" in shown
    (done,) = list_feedback(teams.ctx.store, teams.ctx.config)
    assert (done.status, done.reviewed_by) == ("dismissed", APPROVER.aad)
