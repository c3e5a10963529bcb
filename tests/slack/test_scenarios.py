"""The Slack app end to end: signed requests in over HTTP, Web API calls and database state out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_harness import (
    APPROVER,
    APPROVER2,
    APPROVERS_CHANNEL,
    AUTHOR,
    BLOCKED,
    RISKY,
    SAFE,
    SECRET,
    STRANGER,
    Slack,
    all_text,
    button_value,
)

from bot.slack.blocks import (
    ACTION_APPROVE,
    ACTION_CHANGES,
    ACTION_FEEDBACK,
    ACTION_OPEN_CHECK,
    ACTION_REJECT,
    ACTION_SUBMIT,
    ACTION_SUBMIT_JUSTIFY,
    ACTION_WITHDRAW,
    BLOCK_BEHALF,
    BLOCK_DRAFT,
    BLOCK_NETWORK,
    BLOCK_NOTE,
    INPUT_BEHALF,
    INPUT_DRAFT,
    INPUT_NETWORK,
    INPUT_NOTE,
    SHORTCUT_CHECK_MESSAGE,
    VIEW_CHECK,
    VIEW_JUSTIFY,
    VIEW_NOTE,
    validate_message,
    validate_view,
)
from bot.slack.testing import action_ids, command_body, shortcut_body, signed_headers
from bot.verdict import Draft, Finding, Severity, Verdict

# ---------------------------------------------------------------------- helpers


def send_for_approval(slack: Slack, text: str = RISKY, *, user: str = AUTHOR) -> str:
    """/canipost <draft>, then click "Send to comms": return the new submission's id."""

    def to_approvers(c: Any) -> bool:
        return bool(c.args.get("channel") == APPROVERS_CHANNEL and not c.args.get("thread_ts"))

    before = len([c for c in slack.api.of("chat.postMessage") if to_approvers(c)])
    ack = slack.command(text, user=user)
    slack.click(ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user=user, url="sent")
    card = slack.api.wait_for("chat.postMessage", count=before + 1, where=to_approvers)[-1]
    subs = slack.submissions(state="pending")
    assert subs, "nothing was queued"
    assert subs[0].id in all_text(card.args)  # newest first
    return subs[0].id


def note_values(note: str) -> dict[str, dict[str, Any]]:
    return {BLOCK_NOTE: {INPUT_NOTE: {"type": "plain_text_input", "value": note}}}


# ---------------------------------------------------------------------- /canipost


def test_command_acks_with_the_rules_verdict_at_once(slack: Slack) -> None:
    started = time.perf_counter()
    ack = slack.command(RISKY)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert ack["response_type"] == "ephemeral"
    validate_message(ack)
    text = all_text(ack)
    assert "Needs approval from comms" in text
    assert "idiot" in text  # the quoted words
    assert "Don’t get into a row" in text or "row" in text.lower()  # the policy section
    assert ACTION_SUBMIT in action_ids(ack)
    assert slack.submissions() == []  # checking stores nothing


def test_ok_draft_has_no_send_button_and_network_prefix_is_read(slack: Slack) -> None:
    ack = slack.command(f"linkedin: {SAFE}")
    assert "OK to post" in all_text(ack)
    assert "LinkedIn" in all_text(ack)
    assert ACTION_SUBMIT not in action_ids(ack)


def test_do_not_post_offers_sending_only_with_a_justification(slack: Slack) -> None:
    ack = slack.command(BLOCKED)
    assert "Do not post" in all_text(ack)
    assert action_ids(ack) == [ACTION_SUBMIT_JUSTIFY, ACTION_FEEDBACK]


def test_help_and_bare_command_opens_the_form(slack: Slack) -> None:
    everyone = all_text(slack.command("help"))
    assert "/canipost ask" in everyone
    # approvers' tools are listed for approvers only; Markdown bold is Slack's *bold*
    assert "/canipost watch" not in everyone and "App Home" in everyone
    assert "*Check with canipost*" in everyone and "**" not in everyone
    approver = all_text(slack.command("help", user=APPROVER))
    assert "/canipost watch" in approver and "Was this right?" in approver
    assert "canipost settings" not in approver  # a single-organisation install: no shortcut
    ack = slack.command("")
    assert ack == {}  # an empty ack: the modal is the answer
    opened = slack.api.wait_for("views.open")[0]
    view = opened.args["view"]
    validate_view(view)
    assert view["callback_id"] == VIEW_CHECK
    assert opened.args["trigger_id"].startswith("trigger.")


@pytest.mark.parametrize(
    "draft",
    [
        "Watch your phones if you come to the market, it's full of thieves.",
        "Help us raise £500 for the hospice this Saturday!",
    ],
)
def test_a_draft_that_starts_like_a_command_is_checked(slack: Slack, draft: str) -> None:
    """Only ``help`` itself and ``watch [list|add|remove]`` are commands: a draft that
    begins with the word gets a verdict (it used to get the help or the watch-list reply)."""
    text = all_text(slack.command(draft))
    assert "How to use canipost" not in text and "watch list" not in text.lower()
    assert any(w in text for w in ("OK to post", "Needs approval", "Advice", "Do not post")), text


def test_ask_answers_from_the_policy_with_citations(slack: Slack) -> None:
    ack = slack.command("ask Can I comment on a court case?")
    text = all_text(ack)
    assert "court cases" in text.lower()
    assert "Court cases" in text


def test_an_unexpected_error_is_a_friendly_message_with_a_reference(
    make_slack: Callable[..., Slack], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(question: str, use_llm: bool | None) -> dict[str, Any]:
        raise RuntimeError("boom")

    slack = make_slack(asker=broken)
    ack = slack.command("ask anything?")
    text = all_text(ack)
    assert "Something went wrong" in text and "reference" in text
    ref = text.split("reference `")[1].split("`")[0]
    assert any(ref in r.getMessage() for r in caplog.records)


def test_draft_text_never_reaches_the_log_at_info(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    slack.command(RISKY)
    body = command_body("/canipost", RISKY)
    slack.send(body, headers={"Content-Type": "application/x-www-form-urlencoded"})  # unsigned
    assert all("idiot" not in r.getMessage() for r in caplog.records if r.levelno >= 20)


# ---------------------------------------------------------------------- signatures


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "stale", "tampered"])
def test_bad_signatures_are_refused_and_nothing_is_stored(slack: Slack, case: str) -> None:
    body = command_body("/canipost", RISKY, response_url=slack.api.response_url())
    if case == "unsigned":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif case == "wrong secret":
        headers = signed_headers("not-the-secret", body)
    elif case == "stale":
        headers = signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60)
    else:
        headers = signed_headers(SECRET, body)
        body = body.replace("idiot", "angel")
    status, _ = slack.send(body, headers=headers)
    assert status == 401
    # the same for a click that would submit
    click = json.dumps({"i": "x", "c": "any", "o": None, "t": RISKY})
    from bot.slack.testing import action_body

    body = action_body(ACTION_SUBMIT, click, response_url=slack.api.response_url())
    status, _ = slack.send(body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    time.sleep(0.2)
    assert slack.submissions() == []
    assert [c.method for c in slack.api.calls if c.method != "auth.test"] == []


# ---------------------------------------------------------------------- the approval cycle


def test_full_cycle_author_to_approver_to_author(slack: Slack) -> None:
    sid = send_for_approval(slack)
    sub = slack.ctx.workflow.get(sid)
    assert sub.state == "pending" and sub.author.id == AUTHOR and sub.text == RISKY

    # the card: in the approvers' channel, with the three buttons, the draft and why
    card = slack.api.wait_for("chat.postMessage")[0]
    assert card.args["channel"] == APPROVERS_CHANNEL
    assert action_ids(card.args) == [ACTION_APPROVE, ACTION_CHANGES, ACTION_REJECT]
    assert "idiot" in all_text(card.args) and f"<@{AUTHOR}>" in all_text(card.args)
    validate_message(card.args)
    slack.settle()
    refs = slack.ctx.workflow.get(sid).message_refs["slack"]
    assert refs["channel"] == APPROVERS_CHANNEL

    # the author's message now says it was sent, with a Withdraw button
    sent = slack.api.wait_for("response_url", where=lambda c: c.path.endswith("/sent"))
    assert sid in all_text(sent[-1].args) and ACTION_WITHDRAW in action_ids(sent[-1].args)

    # the approver approves from the card
    slack.click(ACTION_APPROVE, sid, user=APPROVER, url="card", channel=APPROVERS_CHANNEL)
    update = slack.api.wait_for("chat.update")[0]
    assert update.args["ts"] == refs["ts"] and update.args["channel"] == APPROVERS_CHANNEL
    assert action_ids(update.args) == []  # buttons gone
    assert "Approved" in all_text(update.args) and f"<@{APPROVER}>" in all_text(update.args)
    opened = slack.api.wait_for("conversations.open")[0]
    assert opened.args["users"] == AUTHOR
    dm = slack.api.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == f"D{AUTHOR}")
    assert "was approved" in all_text(dm[0].args)

    done = slack.ctx.workflow.get(sid)
    assert done.state == "approved" and done.decided_by is not None
    assert done.decided_by.id == APPROVER
    actions = [(a.action, a.outcome) for a in slack.ctx.workflow.audit_trail(sid)]
    assert actions == [("submit", "ok"), ("decide", "ok")]


def test_clicking_send_twice_queues_once(slack: Slack) -> None:
    ack = slack.command(RISKY)
    value = button_value(ack, ACTION_SUBMIT)
    slack.click(ACTION_SUBMIT, value)
    slack.click(ACTION_SUBMIT, value)
    slack.api.wait_for("response_url", count=4)  # two "sending…" and two "sent"
    slack.settle()
    assert len(slack.submissions()) == 1
    assert len(slack.api.of("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("author", "user", "expected"),
    [(APPROVER, APPROVER, "your own draft"), (AUTHOR, STRANGER, "Only comms approvers")],
)
def test_author_and_non_approver_clicks_are_refused_privately(
    slack: Slack, author: str, user: str, expected: str
) -> None:
    sid = send_for_approval(slack, user=author)
    slack.api.reset()
    slack.click(ACTION_APPROVE, sid, user=user, url="refused")
    refusal = slack.api.wait_for("response_url")[0]
    assert expected in all_text(refusal.args)
    assert refusal.args["response_type"] == "ephemeral"
    assert refusal.args["replace_original"] is False
    assert slack.ctx.workflow.get(sid).state == "pending"
    # the note buttons refuse before a form is opened
    slack.click(ACTION_REJECT, sid, user=user, url="refused2")
    assert expected in all_text(slack.api.wait_for("response_url", count=2)[-1].args)
    assert slack.api.of("views.open") == []


def test_second_decision_is_told_who_decided_first(slack: Slack) -> None:
    sid = send_for_approval(slack)
    slack.click(ACTION_APPROVE, sid, user=APPROVER)
    slack.api.wait_for("chat.update")  # the decision is recorded (and the card redrawn)
    slack.api.reset()
    slack.click(ACTION_APPROVE, sid, user=APPROVER2, url="late")
    told = all_text(slack.api.wait_for("response_url")[0].args)
    assert "already decided" in told and APPROVER in told
    assert slack.ctx.workflow.get(sid).decided_by.id == APPROVER  # type: ignore[union-attr]


def test_request_changes_takes_a_note_through_a_modal(slack: Slack) -> None:
    sid = send_for_approval(slack)
    slack.click(ACTION_CHANGES, sid, user=APPROVER)
    modal = slack.api.wait_for("views.open")[0].args["view"]
    validate_view(modal)
    assert modal["callback_id"] == VIEW_NOTE
    ack = slack.submit_view(
        VIEW_NOTE,
        note_values("Drop the name, please"),
        user=APPROVER,
        private_metadata=modal["private_metadata"],
    )
    assert ack == {}  # the modal closes
    slack.settle()
    sub = slack.ctx.workflow.get(sid)
    assert sub.state == "changes_requested" and sub.decision_note == "Drop the name, please"
    update = slack.api.wait_for("chat.update")[0]
    assert "Drop the name" in all_text(update.args) and action_ids(update.args) == []
    dm = slack.api.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == f"D{AUTHOR}")
    assert "needs changes" in all_text(dm[0].args)


def test_a_note_submitted_after_someone_else_decided_shows_the_refusal_in_the_form(
    slack: Slack,
) -> None:
    sid = send_for_approval(slack)
    slack.click(ACTION_REJECT, sid, user=APPROVER)
    modal = slack.api.wait_for("views.open")[0].args["view"]
    slack.click(ACTION_APPROVE, sid, user=APPROVER2)  # meanwhile
    slack.api.wait_for("chat.update")
    ack = slack.submit_view(
        VIEW_NOTE, note_values("No"), user=APPROVER, private_metadata=modal["private_metadata"]
    )
    assert ack["response_action"] == "errors"
    assert "already decided" in ack["errors"][BLOCK_NOTE]
    assert slack.ctx.workflow.get(sid).state == "approved"


def test_do_not_post_goes_to_comms_only_with_reasons(slack: Slack) -> None:
    ack = slack.command(BLOCKED, url="blocked")
    slack.click(ACTION_SUBMIT_JUSTIFY, button_value(ack, ACTION_SUBMIT_JUSTIFY))
    modal = slack.api.wait_for("views.open")[0].args["view"]
    assert modal["callback_id"] == VIEW_JUSTIFY
    empty = slack.submit_view(
        VIEW_JUSTIFY, note_values("  "), private_metadata=modal["private_metadata"]
    )
    assert empty["response_action"] == "errors"
    slack.submit_view(
        VIEW_JUSTIFY,
        note_values("It's our switchboard, not a mobile"),
        private_metadata=modal["private_metadata"],
    )
    card = slack.api.wait_for("chat.postMessage")[0]
    assert "switchboard" in all_text(card.args)
    sub = slack.submissions()[0]
    assert sub.review_decision == "do_not_post" and sub.note == "It's our switchboard, not a mobile"
    # the verdict message the author clicked on (its response_url) shows it was sent
    sent = slack.api.wait_for(
        "response_url", where=lambda c: c.path.endswith("/click") and sub.id in all_text(c.args)
    )
    assert sub.id in all_text(sent[-1].args)


def test_author_withdraws_while_pending(slack: Slack) -> None:
    sid = send_for_approval(slack)
    slack.settle()
    slack.click(ACTION_APPROVE, sid, user=STRANGER, url="x")  # refused, changes nothing
    slack.click(ACTION_WITHDRAW, sid, user=AUTHOR, url="mine")
    update = slack.api.wait_for("chat.update")[0]
    assert slack.ctx.workflow.get(sid).state == "withdrawn"
    mine = slack.api.wait_for("response_url", where=lambda c: c.path.endswith("/mine"))[0]
    assert "Withdrawn" in all_text(mine.args) and ACTION_WITHDRAW not in action_ids(mine.args)
    assert "Withdrawn" in all_text(update.args) and action_ids(update.args) == []
    thread = slack.api.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts"))
    assert "withdrew" in all_text(thread[0].args)
    # a later approval is refused and says so
    slack.click(ACTION_APPROVE, sid, user=APPROVER, url="late")
    late = slack.api.wait_for("response_url", where=lambda c: c.path.endswith("/late"))
    assert "withdrawn" in all_text(late[0].args)


def test_auto_send_submits_needs_approval_drafts_without_a_click(
    make_slack: Callable[..., Slack], config: Any
) -> None:
    config.workflow["auto_send"] = True
    slack = make_slack(config)
    ack = slack.command(RISKY)
    assert "Sending to comms" in all_text(ack) and ACTION_SUBMIT not in action_ids(ack)
    slack.api.wait_for("chat.postMessage")
    assert slack.submissions()[0].state == "pending"


def test_reminders_and_escalations_thread_on_the_card_and_expiry_tells_the_author(
    slack: Slack,
) -> None:
    sid = send_for_approval(slack)
    slack.settle()
    card_ts = slack.ctx.workflow.get(sid).message_refs["slack"]["ts"]
    start = datetime.now(UTC)
    for minutes in (61, 121):
        report = slack.ctx.workflow.tick(now=start + timedelta(minutes=minutes))
        assert sid in (report.reminded + report.escalated)
    threaded = slack.api.wait_for(
        "chat.postMessage", count=2, where=lambda c: c.args.get("thread_ts") == card_ts
    )
    assert "Reminder" in all_text(threaded[0].args)
    assert "Escalation" in all_text(threaded[1].args) and "<@UBACKUP>" in all_text(threaded[1].args)
    report = slack.ctx.workflow.tick(now=start + timedelta(minutes=181))
    assert report.expired == [sid]
    update = slack.api.wait_for("chat.update")[0]
    assert "Expired" in all_text(update.args) and action_ids(update.args) == []
    dm = slack.api.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == f"D{AUTHOR}")
    assert "expired" in all_text(dm[0].args)


# ---------------------------------------------------------------------- modal, shortcut


def test_form_submission_turns_the_modal_into_the_verdict(slack: Slack) -> None:
    values = {
        BLOCK_DRAFT: {INPUT_DRAFT: {"type": "plain_text_input", "value": RISKY}},
        BLOCK_NETWORK: {INPUT_NETWORK: {"selected_option": {"value": "facebook"}}},
        BLOCK_BEHALF: {INPUT_BEHALF: {"selected_option": {"value": "org"}}},
    }
    ack = slack.submit_view(VIEW_CHECK, values)
    assert ack["response_action"] == "update"
    view = validate_view(ack["view"])
    assert "Facebook" in all_text(view) and "for the organisation" in all_text(view)
    # "Send" from inside the modal redraws the modal (views.update) and queues the draft
    slack.click(
        ACTION_SUBMIT,
        button_value(view, ACTION_SUBMIT),
        url=None,
        view={"id": "V9999", "type": "modal", "private_metadata": view["private_metadata"]},
    )
    slack.api.wait_for("chat.postMessage")
    updated = slack.api.wait_for("views.update", count=2)[-1]
    assert updated.args["view_id"] == "V9999" and ACTION_WITHDRAW in action_ids(updated.args)
    sub = slack.submissions()[0]
    assert sub.channel == "facebook" and sub.message_refs["slack_origin"]["on_behalf"] is True
    card = slack.api.of("chat.postMessage")[0]
    assert "For the organisation" in all_text(card.args)


def test_empty_form_draft_is_an_inline_error(slack: Slack) -> None:
    values = {BLOCK_DRAFT: {INPUT_DRAFT: {"type": "plain_text_input", "value": "   "}}}
    ack = slack.submit_view(VIEW_CHECK, values)
    assert ack["response_action"] == "errors" and BLOCK_DRAFT in ack["errors"]


def test_message_shortcut_reviews_that_message(slack: Slack) -> None:
    status, _ = slack.send(shortcut_body(SHORTCUT_CHECK_MESSAGE, "Kevin is an &lt;idiot&gt;"))
    assert status == 200
    opened = slack.api.wait_for("views.open")[0]
    view = validate_view(opened.args["view"])
    assert "Needs approval" in all_text(view)
    assert "&lt;idiot&gt;" in all_text(view)  # unescaped for review, escaped again for display


# ---------------------------------------------------------------------- App Home


def test_app_home_shows_staff_their_submissions_and_approvers_the_queue(slack: Slack) -> None:
    first = send_for_approval(slack, RISKY)
    second = send_for_approval(slack, RISKY + " again")
    slack.event({"type": "app_home_opened", "user": AUTHOR, "tab": "home", "channel": "D1"})
    mine = slack.api.wait_for("views.publish")[0].args
    validate_view(mine["view"])
    assert mine["user_id"] == AUTHOR
    assert first in all_text(mine) and second in all_text(mine)
    assert "Awaiting approval" not in all_text(mine)
    assert action_ids(mine).count(ACTION_WITHDRAW) == 2 and ACTION_OPEN_CHECK in action_ids(mine)

    slack.event({"type": "app_home_opened", "user": APPROVER, "tab": "home", "channel": "D2"})
    queue = slack.api.wait_for("views.publish", count=2)[-1].args
    text = all_text(queue)
    assert "Awaiting approval (2)" in text
    assert text.index(first) < text.index(second)  # oldest first
    assert action_ids(queue).count(ACTION_APPROVE) == 2

    # deciding from the Home redraws it
    home_view = {"id": "VHOME", "type": "home"}
    slack.click(ACTION_APPROVE, first, user=APPROVER, url=None, view=home_view)
    republished = slack.api.wait_for("views.publish", count=3)[-1].args
    assert "Awaiting approval (1)" in all_text(republished)


# ---------------------------------------------------------------------- conversation


def test_dm_question_is_answered_in_thread_with_citations(slack: Slack) -> None:
    status, _ = slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DAUTHOR",
            "user": AUTHOR,
            "text": "Can I talk about the Smith trial?",
            "ts": "1700000001.000100",
        }
    )
    assert status == 200
    reply = slack.api.wait_for("chat.postMessage")[0].args
    assert reply["thread_ts"] == "1700000001.000100"
    assert "Court cases" in all_text(reply)


def test_mention_with_a_draft_is_reviewed_in_thread(slack: Slack) -> None:
    slack.event(
        {
            "type": "app_mention",
            "channel": "CGENERAL",
            "user": AUTHOR,
            "text": f"<@UBOT> can I post: {RISKY}",
            "ts": "1700000002.000200",
        }
    )
    reply = slack.api.wait_for("chat.postMessage")[0].args
    assert reply["thread_ts"] == "1700000002.000200"
    assert "Needs approval" in all_text(reply) and ACTION_SUBMIT in action_ids(reply)


def test_slack_retries_of_an_event_never_answer_twice(slack: Slack) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "DAUTHOR",
        "user": AUTHOR,
        "text": "Can I swear?",
        "ts": "1700000003.000300",
    }
    from bot.slack.testing import event_body

    body = event_body(event, event_id="EvSAME")
    assert slack.send(body)[0] == 200
    assert slack.send(body)[0] == 200  # redelivered, same event id
    retry = signed_headers(SECRET, body) | {
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    assert slack.send(body, headers=retry)[0] == 200
    slack.api.wait_for("chat.postMessage")
    # a timed-out delivery's retry is dropped even when it is the first this worker sees
    other = event_body({**event, "ts": "1700000003.000400"}, event_id="EvOTHER")
    headers = signed_headers(SECRET, other) | {
        "X-Slack-Retry-Num": "2",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    assert slack.send(other, headers=headers)[0] == 200
    time.sleep(0.3)
    assert len(slack.api.of("chat.postMessage")) == 1
    # a retry after an error never reached us: it is answered
    failed = event_body({**event, "ts": "1700000003.000500"}, event_id="EvFAILED")
    headers = signed_headers(SECRET, failed) | {
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_error",
    }
    assert slack.send(failed, headers=headers)[0] == 200
    slack.api.wait_for("chat.postMessage", count=2)


def test_edits_and_bot_messages_in_dms_are_ignored(slack: Slack) -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D1", "ts": "1.2"}
    assert slack.event({**base, "subtype": "message_changed"})[0] == 200
    assert slack.event({**base, "bot_id": "B1", "user": "UBOT2", "text": "hi"})[0] == 200
    time.sleep(0.3)
    assert slack.api.of("chat.postMessage") == []


# ---------------------------------------------------------------------- resilience


def test_rate_limited_card_is_retried_after_retry_after(slack: Slack) -> None:
    slack.api.rate_limit["chat.postMessage"] = 1
    ack = slack.command(RISKY)
    slack.click(ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT))
    slack.api.wait_for("chat.postMessage", timeout=10)
    limited = [c for c in slack.api.calls if c.method == "chat.postMessage (429)"]
    posted = slack.api.of("chat.postMessage")[0]
    assert limited and posted.at - limited[0].at >= 0.9  # waited Retry-After: 1
    slack.settle()
    assert "slack" in slack.submissions()[0].message_refs


def _slow_reviewer(release: threading.Event, seconds: float) -> Callable[[Draft], Verdict]:
    """An LLM stand-in taking ``seconds`` (or until released) that adds a critique."""

    def review(draft: Draft) -> Verdict:
        release.wait(seconds)
        finding = Finding(
            rule="llm.tone",
            category="reputation",
            severity=Severity.ADVISE,
            start=None,
            end=None,
            quote=None,
            message="Sounds cross.",
            suggestion="Soften it.",
            policy_ref="protocol#reputation",
            source="llm",
        )
        from bot.config import Config
        from bot.review import review_rules

        rules = review_rules(draft, config=Config())
        return Verdict(
            [*rules.findings, finding],
            rules.policy_version,
            rewrite="Kevin and I disagree about this.",
            llm="used",
            critique="The tone would start a row.",
        )

    return review


def test_slow_llm_never_delays_the_ack(make_slack: Callable[..., Slack]) -> None:
    release = threading.Event()
    slack = make_slack(llm_enabled=True, reviewer=_slow_reviewer(release, 5.0))
    try:
        started = time.perf_counter()
        ack = slack.command(RISKY)
        assert time.perf_counter() - started < 1.0  # the stand-in takes 5 s
        assert "AI review is on its way" in all_text(ack)
        assert slack.api.of("response_url") == []
        release.set()  # the LLM answers: the message is redrawn with critique and rewrite
        update = slack.api.wait_for("response_url")[0].args
        assert update["replace_original"] is True
        text = all_text(update)
        assert "The tone would start a row" in text and "Suggested rewrite" in text
        assert "on its way" not in text
    finally:
        release.set()


def test_the_llm_critique_is_on_the_approvers_card(make_slack: Callable[..., Slack]) -> None:
    release = threading.Event()
    release.set()
    slack = make_slack(llm_enabled=True, reviewer=_slow_reviewer(release, 0))
    send_for_approval(slack)
    card = slack.api.of("chat.postMessage")[0]
    assert "The tone would start a row" in all_text(card.args)
    assert slack.submissions()[0].verdict.llm == "used"


# ---------------------------------------------------------------------- the server's own endpoints


def test_health_ready_and_metrics(slack: Slack) -> None:
    assert slack.server.get("/healthz")[0] == 200
    status, body, _ = slack.server.get("/readyz")
    assert status == 200 and json.loads(body)["database"] == "ok"
    slack.command(RISKY)
    status, text, headers = slack.server.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'canipost_ack_seconds_count{kind="command",platform="slack"} 1.0' in text
    assert 'canipost_review_seconds_count{stage="rules"}' in text
    assert 'canipost_http_requests_total{path="/slack/events",status="200"} 1.0' in text


def test_ready_is_503_when_the_database_is_unreachable(slack: Slack) -> None:
    slack.ctx.store.ping = lambda: False  # type: ignore[method-assign]
    status, body, _ = slack.server.get("/readyz")
    assert status == 503 and json.loads(body)["database"] == "unreachable"
