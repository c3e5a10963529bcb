""" "Was this right?" on a Teams verdict card, through the real agent with signed activities."""

from __future__ import annotations

from typing import Any

from teams_harness import APPROVER, AUTHOR, RISKY, SAFE, Teams, card_text

from bot.feedback import list_feedback
from bot.teams.card_schema import validate_card
from bot.teams.cards import INPUT_CATEGORIES, INPUT_EXPECTED, INPUT_FEEDBACK_NOTE, VERB_FEEDBACK
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
