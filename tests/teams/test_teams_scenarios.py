"""Scenarios over HTTP: activities posted to /api/messages with real JWTs; the Bot Connector stubbed.

Each test reads what a person would see: the cards the bot sent or updated
at the Bot Connector stand-in, and the answers to invokes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from teams_harness import (
    APPROVER,
    APPROVER2,
    APPROVERS_CHANNEL,
    AUTHOR,
    BLOCKED,
    OUTBOUND_TOKEN,
    RISKY,
    SAFE,
    SLACK_APPROVER,
    STRANGER,
    Teams,
    card_text,
    llm_reviewer,
)

from bot.teams.card_schema import validate_card
from bot.teams.testing import fetch_task_activity, submit_action_activity
from bot.workflow import Actor, AlreadyDecided

# ---------------------------------------------------------------------- review and ask


def test_plain_draft_gets_a_verdict_card_with_quoted_words(teams: Teams) -> None:
    status, _ = teams.say(RISKY)
    assert status == 202
    call = teams.last_card()
    assert call.kind == "reply" and call.authorization == f"Bearer {OUTBOUND_TOKEN}"
    text = card_text(call.card)
    assert "Needs approval from comms" in text
    assert "“I think the council”" in text  # the quoted words
    assert "📖" in text  # the policy section
    assert [a["title"] for a in call.card["actions"]] == [
        "Send to comms for approval",
        "Was this right?",
    ]
    validate_card(call.card)


def test_mention_in_a_channel_is_reviewed_and_answered_in_the_thread(teams: Teams) -> None:
    status, _ = teams.say(
        f"review: {SAFE}",
        mention=True,
        conversation="19:general@thread.tacv2;messageid=1699",
        conversation_type="channel",
    )
    assert status == 202
    call = teams.last_card("19:general@thread.tacv2;messageid=1699")
    assert "OK to post" in card_text(call.card)
    assert "canipost" not in card_text(call.card).split("\n")[2]  # the @mention is not reviewed


def test_question_gets_an_answer_with_citations(teams: Teams) -> None:
    teams.say("Can I comment on a court case on Facebook?")
    text = card_text(teams.last_card().card)
    assert "don't comment on active court cases" in text
    assert "Court cases" in text and "Never comment." in text


def test_help(teams: Teams) -> None:
    teams.say("help")
    assert "checks a social media draft" in card_text(teams.last_card().card)


def test_help_lists_every_command_the_person_can_use(teams: Teams) -> None:
    teams.say("help")  # the author: not an approver
    everyone = card_text(teams.last_card().card)
    teams.say("help", user=APPROVER)
    approver = card_text(teams.last_card().card)
    for text in (everyone, approver):
        assert "review: your draft" in text and "`help`" in text
    for command in ("`reports`", "`watch remove <id>`", "`settings`"):
        assert command in approver and command not in everyone
    # Each command the approver is shown answers them with its own card, not the help.
    shown = {"reports": "Reports to review", "watch": "Watch list", "settings": "Save"}
    for command, heading in shown.items():
        teams.say(command, user=APPROVER)
        text = card_text(teams.last_card().card)
        assert heading in text and "checks a social media draft" not in text, (command, text)


def test_llm_critique_updates_the_card_in_place(make_teams: Callable[..., Teams]) -> None:
    teams = make_teams(llm_enabled=True, reviewer=llm_reviewer)
    teams.say(f"review: {SAFE}")
    teams.settle()
    first = next(c for c in teams.connector.calls if c.kind == "reply")
    assert "The AI review is on its way" in card_text(first.card)
    (update,) = teams.wait("update")
    assert update.activity_id == first.returned_id
    text = card_text(update.card)
    assert "The AI thinks the tone could be warmer." in text
    assert "A warmer version of the post." in text
    assert "on its way" not in text


# ---------------------------------------------------------------------- approvals


def test_full_approval_cycle_in_teams(teams: Teams) -> None:
    sid, card = teams.submit()
    assert card.authorization == f"Bearer {OUTBOUND_TOKEN}"
    assert [a["title"] for a in card.card["actions"]] == ["Approve", "Request changes", "Reject"]
    assert card.card["refresh"]["action"]["verb"] == "canipost.refresh"
    validate_card(card.card)

    answer = teams.approve_click("canipost.approve", card, APPROVER)
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Approved" in card_text(answer["value"]) and "Ann Approver" in card_text(answer["value"])
    assert "actions" not in answer["value"]  # the buttons are gone for the clicker...
    teams.settle()
    (update,) = teams.wait("update", APPROVERS_CHANNEL)
    assert update.activity_id == card.returned_id  # ...and for everyone
    assert "Approved" in card_text(update.card)
    (told,) = teams.wait("send", "a:personal-chat", text="was approved")
    assert "Approved" in card_text(told.card)
    sub = teams.ctx.workflow.get(sid)
    assert sub.state == "approved" and sub.decided_by == Actor(
        "teams", APPROVER.aad, "Ann Approver"
    )
    actions = [r.action for r in teams.ctx.workflow.audit_trail(sid)]
    assert actions == ["submit", "decide"]


def test_request_changes_needs_a_note_and_tells_the_author(teams: Teams) -> None:
    sid, card = teams.submit()
    refused = teams.approve_click("canipost.changes", card, APPROVER)
    assert refused["type"] == "application/vnd.microsoft.activity.message"
    assert "note" in refused["value"]
    answer = teams.approve_click("canipost.changes", card, APPROVER, note="Drop the school name")
    assert "Changes requested" in card_text(answer["value"])
    teams.settle()
    (news,) = teams.wait("send", "a:personal-chat", text="needs changes")
    assert "Drop the school name" in card_text(news.card)
    assert teams.ctx.workflow.get(sid).state == "changes_requested"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (STRANGER, "Only comms approvers can decide"),
        (AUTHOR, None),  # the author is not an approver either: same refusal
    ],
)
def test_refusals_are_shown_only_to_the_clicker(
    teams: Teams, user: object, expected: str | None
) -> None:
    sid, card = teams.submit()
    before = len(teams.connector.calls)
    answer = teams.approve_click("canipost.approve", card, user)  # type: ignore[arg-type]
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "Only comms approvers can decide" in answer["value"]
    teams.settle()
    assert len(teams.connector.calls) == before  # nothing posted or updated
    assert teams.ctx.workflow.get(sid).state == "pending"


def test_own_draft_refused(make_teams: Callable[..., Teams], config: object) -> None:
    from bot.config import Approvers, Config

    cfg = Config(
        approvers=Approvers(teams=[AUTHOR.aad, APPROVER.aad]), workflow={"tick_seconds": 3600}
    )
    teams = make_teams(cfg)
    sid, card = teams.submit()
    answer = teams.approve_click("canipost.approve", card, AUTHOR)
    assert answer["value"] == "You can't decide on your own draft; another approver must."
    assert teams.ctx.workflow.get(sid).state == "pending"


def test_already_decided_says_by_whom_and_when(teams: Teams) -> None:
    sid, card = teams.submit()
    teams.approve_click("canipost.reject", card, APPROVER, note="Not this week")
    late = teams.approve_click("canipost.approve", card, APPROVER2)
    assert late["type"] == "application/vnd.microsoft.activity.message"
    assert "already decided: rejected by Ann Approver" in late["value"]
    assert " UTC" in late["value"]
    assert teams.ctx.workflow.get(sid).state == "rejected"


def test_redelivered_click_is_replayed_not_redone(teams: Teams) -> None:
    sid, card = teams.submit()
    first = teams.approve_click("canipost.approve", card, APPROVER, id="1700000000777")
    again = teams.approve_click("canipost.approve", card, APPROVER, id="1700000000777")
    assert again["type"] == first["type"] == "application/vnd.microsoft.card.adaptive"
    decides = [r for r in teams.ctx.workflow.audit_trail(sid) if r.action == "decide"]
    assert len(decides) == 1


def test_double_click_on_send_submits_once(teams: Teams) -> None:
    teams.say(f"review: {RISKY}")
    verdict = teams.last_card()
    action = verdict.card["actions"][0]
    assert verdict.returned_id
    a = teams.click(action["verb"], action["data"], user=AUTHOR, card_id=verdict.returned_id)
    b = teams.click(action["verb"], action["data"], user=AUTHOR, card_id=verdict.returned_id)
    assert card_text(a["value"]) == card_text(b["value"])
    assert len(teams.ctx.workflow.submissions()) == 1


def test_do_not_post_needs_a_justification(teams: Teams) -> None:
    teams.say(f"review: {BLOCKED}")
    verdict = teams.last_card()
    assert "Do not post" in card_text(verdict.card)
    inputs = [e for e in verdict.card["body"] if e.get("type") == "Input.Text"]
    assert inputs and inputs[0]["id"] == "justification" and inputs[0]["isRequired"]
    sid, card = teams.submit(BLOCKED, note="The family asked us to share it")
    assert "The family asked us to share it" in card_text(card.card)
    assert teams.ctx.workflow.get(sid).note == "The family asked us to share it"


def test_withdraw_updates_the_approvers_card(teams: Teams) -> None:
    sid, card = teams.submit()
    answer = teams.click("canipost.withdraw", {"sid": sid}, user=AUTHOR, card_id="1")
    assert "Withdrawn" in card_text(answer["value"])
    teams.settle()
    assert teams.wait("update", APPROVERS_CHANNEL, text="Withdrawn")
    thread = f"{APPROVERS_CHANNEL};messageid={card.returned_id}"
    assert teams.wait("send", thread, text="The author withdrew this draft")


def test_refresh_returns_the_current_card(teams: Teams) -> None:
    sid, card = teams.submit()
    teams.ctx.workflow.decide(sid, "approve", by=Actor("teams", APPROVER.aad, "Ann Approver"))
    answer = teams.approve_click("canipost.refresh", card, STRANGER)
    assert "Approved" in card_text(answer["value"]) and "actions" not in answer["value"]


def test_reminder_and_escalation_are_replies_under_the_card(teams: Teams) -> None:
    sid, card = teams.submit()
    thread = f"{APPROVERS_CHANNEL};messageid={card.returned_id}"
    now = datetime.now(UTC)
    teams.ctx.workflow.tick(now=now + timedelta(minutes=61))
    teams.ctx.workflow.tick(now=now + timedelta(minutes=241))
    replies = [c for c in teams.connector.calls if c.conversation == thread]
    assert any("Reminder" in c.text for c in replies)
    assert any("Escalation" in c.text and "backup.approver@example.org" in c.text for c in replies)
    assert all(c.authorization == f"Bearer {OUTBOUND_TOKEN}" for c in replies)
    assert teams.ctx.workflow.get(sid).state == "pending"


# ---------------------------------------------------------------------- message extension


def test_message_action_reviews_any_message_in_a_dialog(teams: Teams) -> None:
    status, body = teams.post(
        fetch_task_activity(
            "<p>I think <b>the council</b> will probably scrap</p><p>the bin collections&nbsp;next year &amp; more.</p>",
            service_url=teams.connector.url,
            user=AUTHOR,
        )
    )
    assert status == 200
    task = body["task"]
    assert task["type"] == "continue"
    card = task["value"]["card"]["content"]
    validate_card(card)
    assert (
        "I think the council will probably scrap\nthe bin collections next year & more."
        in card_text(card)
    )
    (send,) = card["actions"]
    assert send["type"] == "Action.Submit" and send["data"]["canipost"] == "canipost.submit"

    status, body = teams.post(
        submit_action_activity(send["data"], service_url=teams.connector.url, user=AUTHOR)
    )
    assert status == 200 and body["task"]["type"] == "message"
    assert "Sent to comms for approval as S-" in body["task"]["value"]
    teams.settle()
    card_call = teams.approval_card()
    assert "Sam Author" in card_text(card_call.card)
    # The decision reaches the author in a personal chat, not the channel they acted in.
    teams.approve_click("canipost.approve", card_call, APPROVER)
    teams.settle()
    (created,) = teams.wait("create")
    assert created.body["members"][0]["id"] == AUTHOR.id
    assert created.returned_id
    (news,) = teams.wait("send", created.returned_id)
    assert "was approved" in news.body["summary"]
    assert not [c for c in teams.connector.calls if c.conversation.startswith("19:general")]


# ---------------------------------------------------------------------- one workflow, two platforms


def test_teams_decision_then_slack_decision_is_refused(teams: Teams) -> None:
    sid, card = teams.submit()
    teams.approve_click("canipost.approve", card, APPROVER)
    with pytest.raises(AlreadyDecided) as refused:
        teams.ctx.workflow.decide(sid, "reject", by=Actor("slack", SLACK_APPROVER), note="No")
    assert "approved by Ann Approver" in str(refused.value)
    trail = teams.ctx.workflow.audit_trail(sid)
    assert [(r.action, r.outcome, r.actor.platform if r.actor else None) for r in trail] == [
        ("submit", "ok", "teams"),
        ("decide", "ok", "teams"),
        ("decide", "refused", "slack"),
    ]


def test_slack_decision_then_teams_click_is_refused_and_card_updated(teams: Teams) -> None:
    sid, card = teams.submit()
    teams.ctx.workflow.decide(sid, "approve", by=Actor("slack", SLACK_APPROVER, "Sue Slack"))
    teams.ctx.pump.kick()  # as the Slack listener does after recording
    (update,) = teams.wait("update", APPROVERS_CHANNEL)
    assert "Approved" in card_text(update.card) and "Sue Slack" in card_text(update.card)
    late = teams.approve_click("canipost.reject", card, APPROVER, note="too late")
    assert "already decided: approved by Sue Slack (USLACKAPPR)" in late["value"]
    assert teams.ctx.workflow.get(sid).decided_by == Actor("slack", SLACK_APPROVER, "Sue Slack")


# ---------------------------------------------------------------------- logs


def test_no_draft_text_or_token_in_logs_at_info(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sid, card = teams.submit()
    teams.approve_click("canipost.changes", card, APPROVER, note="Please drop the guess")
    teams.say("Can I comment on a court case?")
    teams.settle()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert sid in logged  # the workflow does log ids
    for secret in (RISKY, "bin collections", "Please drop the guess", OUTBOUND_TOKEN, "court case"):
        assert secret not in logged


def test_with_the_llm_send_answers_at_once_and_redraws_when_queued(
    make_teams: Callable[..., Teams],
) -> None:
    teams = make_teams(llm_enabled=True, reviewer=llm_reviewer)
    teams.say(f"review: {RISKY}")
    teams.settle()
    verdict = teams.last_card()  # the first card (its AI update is a PUT to the same id)
    action = verdict.card["actions"][0]
    assert verdict.returned_id
    answer = teams.click(action["verb"], action["data"], user=AUTHOR, card_id=verdict.returned_id)
    assert "Sending to comms for approval" in card_text(answer["value"])
    assert "actions" not in answer["value"]
    teams.settle()
    redrawn = teams.wait("update", "a:personal-chat", text="sent to comms for approval")
    assert redrawn[-1].activity_id == verdict.returned_id
    card = teams.approval_card()
    assert "The AI thinks the tone could be warmer." in card_text(card.card)
