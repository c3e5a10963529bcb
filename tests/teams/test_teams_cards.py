"""Adaptive Cards as data: what each builder shows, and that all of them pass the 1.5 check."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from teams_harness import card_text

from bot.conversation.refs import MAX_DRAFT_IN_DATA
from bot.teams.card_schema import MAX_ACTIONS, CardError, validate_card
from bot.teams.cards import (
    CARD_VERSION,
    SUBMIT_KEY,
    VERB_APPROVE,
    VERB_CHANGES,
    VERB_REFRESH,
    VERB_REJECT,
    VERB_SUBMIT,
    VERB_WITHDRAW,
    DraftRef,
    answer_card,
    approval_card,
    author_card,
    help_card,
    verdict_card,
)
from bot.verdict import Finding, Severity, Verdict
from bot.workflow.types import Actor, DecisionRecord, Submission

TITLES = {"court-cases": "Court cases", "children": "Children and young people"}
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SAM = Actor("teams", "aad-sam", "Sam Author")
ANN = Actor("teams", "aad-ann", "Ann Approver")


def finding(
    severity: Severity, *, source: str = "rules", quote: str | None = "St Mary's"
) -> Finding:
    return Finding(
        rule="safeguarding.named_child",
        category="safeguarding",
        severity=severity,
        start=10 if quote else None,
        end=18 if quote else None,
        quote=quote,
        message="This names a child with their school.",
        suggestion="Use first names only, with consent.",
        policy_ref="protocol#children",
        source=source,
    )


def verdict(*severities: Severity, **kw: Any) -> Verdict:
    return Verdict(findings=[finding(s) for s in severities], policy_version="abc123def456", **kw)


def submission(state: str = "pending", **kw: Any) -> Submission:
    base: dict[str, Any] = {
        "id": "S-7K2M9QXD4B",
        "state": state,
        "text": "Well done *Jack* at St Mary's [today](http://x)!",
        "channel": "facebook",
        "author": SAM,
        "verdict": verdict(Severity.NEEDS_APPROVAL),
        "note": None,
        "predecessor_id": None,
        "approvals_needed": 1,
        "created_at": AT,
        "updated_at": AT,
    }
    if state != "pending":
        base.update(decided_at=AT, decided_by=ANN)
    base.update(kw)
    return Submission(**base)


def actions(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The card's buttons, but for "Was this right?" (every verdict has it; tested on its own)."""
    return [
        (a["type"], a.get("verb") or a["data"].get(SUBMIT_KEY))
        for a in card.get("actions", [])
        if a["type"] != "Action.ShowCard"
    ]


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    out = []

    def walk(items: list[dict[str, Any]]) -> None:
        for el in items:
            if el.get("type") == "Input.Text":
                out.append(el)
            walk(el.get("items") or [])

    walk(card["body"])
    return out


# ---------------------------------------------------------------------- verdicts


def test_ok_verdict_has_no_way_to_comms() -> None:
    card = verdict_card(verdict(), draft=DraftRef("Lovely day"), titles=TITLES)
    assert card["version"] == CARD_VERSION == "1.5"
    assert "OK to post" in card_text(card) and "No policy concerns found" in card_text(card)
    assert actions(card) == [] and inputs(card) == []


def test_needs_approval_offers_one_execute_button_carrying_the_draft() -> None:
    ref = DraftRef("Well done Jack at St Mary's", channel="facebook", on_behalf=True, check="k1")
    card = verdict_card(verdict(Severity.NEEDS_APPROVAL), draft=ref, titles=TITLES)
    assert actions(card) == [("Action.Execute", VERB_SUBMIT)]
    data = card["actions"][0]["data"]
    assert DraftRef.from_data(data) == ref
    text = card_text(card)
    assert "Needs approval from comms" in text and "Facebook · for the organisation" in text
    assert "“St Mary's”" in text  # the quoted words
    assert "📖 Children and young people" in text  # the section's heading, not its anchor
    assert "Suggestion: Use first names only" in text


def test_do_not_post_asks_for_a_justification_in_the_card() -> None:
    card = verdict_card(verdict(Severity.DO_NOT_POST), draft=DraftRef("x", check="k"), titles={})
    (justification,) = inputs(card)
    assert justification["id"] == "justification" and justification["isRequired"] is True
    assert actions(card) == [("Action.Execute", VERB_SUBMIT)]
    assert "justification" in card["actions"][0]["title"]


def test_dialog_cards_use_action_submit() -> None:
    card = verdict_card(
        verdict(Severity.NEEDS_APPROVAL), draft=DraftRef("x"), titles={}, dialog=True
    )
    assert actions(card) == [("Action.Submit", VERB_SUBMIT)]


def test_llm_states_and_ai_findings_are_labelled() -> None:
    pending = verdict_card(verdict(), draft=DraftRef("x"), titles={}, llm_pending=True)
    assert "The AI review is on its way" in card_text(pending)
    failed = verdict_card(verdict(llm="failed"), draft=DraftRef("x"), titles={})
    assert "The AI review wasn't available" in card_text(failed)
    v = Verdict(
        findings=[finding(Severity.ADVISE, source="llm")],
        policy_version="p",
        critique="Sounds defensive.",
        rewrite="Thanks all!",
    )
    text = card_text(verdict_card(v, draft=DraftRef("x"), titles={}))
    assert "_AI review_" in text and "Sounds defensive." in text and "Thanks all!" in text


def test_draft_text_is_shown_verbatim_never_as_markdown() -> None:
    draft = "**Big** news: [click](http://evil.example) _now_ <at>everyone</at>"
    card = verdict_card(verdict(), draft=DraftRef(draft), titles={})
    runs = [
        inline["text"]
        for el in card["body"]
        for item in el.get("items", [el])
        if item.get("type") == "RichTextBlock"
        for inline in item["inlines"]
    ]
    assert draft in runs  # a TextRun, which Teams never parses
    blocks = [el.get("text", "") for el in card["body"] if el.get("type") == "TextBlock"]
    assert not any("evil.example" in b for b in blocks)


def test_long_drafts_are_cut_on_screen_and_too_long_ones_get_no_button() -> None:
    long = "word " * 1000
    card = verdict_card(verdict(Severity.NEEDS_APPROVAL), draft=DraftRef(long), titles={})
    assert "Long draft: showing the start of 5,000 characters" in card_text(card)
    assert actions(card) == [("Action.Execute", VERB_SUBMIT)]
    huge = "x" * (MAX_DRAFT_IN_DATA + 1)
    card = verdict_card(verdict(Severity.NEEDS_APPROVAL), draft=DraftRef(huge), titles={})
    assert actions(card) == [] and "too long to send from here" in card_text(card)
    validate_card(card)


def test_submitted_verdict_shows_state_and_withdraw_while_pending() -> None:
    v = verdict(Severity.NEEDS_APPROVAL)
    open_card = verdict_card(v, draft=DraftRef("x"), titles={}, submitted=submission())
    assert "⏳ Pending** · S-7K2M9QXD4B · sent to comms" in card_text(open_card)
    assert actions(open_card) == [("Action.Execute", VERB_WITHDRAW)]
    assert open_card["actions"][0]["data"] == {"sid": "S-7K2M9QXD4B"}
    closed = verdict_card(v, draft=DraftRef("x"), titles={}, submitted=submission("approved"))
    assert actions(closed) == [] and "by Ann Approver" in card_text(closed)


# ---------------------------------------------------------------------- approval cards


def test_pending_approval_card_has_note_three_decisions_and_refresh() -> None:
    card = approval_card(submission(), titles=TITLES, on_behalf=False)
    assert actions(card) == [
        ("Action.Execute", VERB_APPROVE),
        ("Action.Execute", VERB_CHANGES),
        ("Action.Execute", VERB_REJECT),
    ]
    assert all(a["data"] == {"sid": "S-7K2M9QXD4B"} for a in card["actions"])
    assert [i["id"] for i in inputs(card)] == ["note"]
    assert card["refresh"]["action"]["verb"] == VERB_REFRESH
    text = card_text(card)
    for expected in (
        "Sam Author",
        "Facebook",
        "Personally",
        "2026-03-01 09:30 UTC",
        "Needs approval",
    ):
        assert expected in text
    assert "Well done *Jack* at St Mary's [today](http://x)!" in text


def test_two_step_card_says_who_approved_so_far() -> None:
    first = DecisionRecord("approve", False, ANN, None, AT)
    card = approval_card(submission(approvals_needed=2, decisions=(first,)), titles={})
    assert "Needs 2 approvals; approved so far by Ann Approver" in card_text(card)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("approved", "✅ Approved** by Ann Approver · 2026-03-01 09:30 UTC"),
        ("rejected", "⛔ Rejected** by Ann Approver"),
        ("changes_requested", "✏️ Changes requested** by Ann Approver"),
        ("expired", "💤 Expired** 2026-03-01 09:30 UTC without a decision"),
    ],
)
def test_closed_approval_card_shows_the_outcome_and_no_buttons(state: str, expected: str) -> None:
    sub = submission(state, decision_note="Not this week")
    if state == "expired":
        sub = submission(state, decided_by=None)
    card = approval_card(sub, titles={})
    assert actions(card) == [] and inputs(card) == []
    assert expected in card_text(card)


def test_purged_draft_says_so() -> None:
    card = approval_card(submission("approved", text=None), titles={})
    assert "no longer kept" in card_text(card)


def test_names_are_markdown_escaped() -> None:
    sub = submission(author=Actor("teams", "aad-x", "_Evil_ [link](http://x)"))
    assert "\\_Evil\\_ \\[link\\]\\(http://x\\)" in card_text(approval_card(sub, titles={}))


@pytest.mark.parametrize(
    ("state", "line"),
    [
        ("approved", "Your draft S-7K2M9QXD4B was approved (by Ann Approver)."),
        ("changes_requested", "Your draft S-7K2M9QXD4B needs changes (by Ann Approver)."),
        ("rejected", "Your draft S-7K2M9QXD4B was rejected (by Ann Approver)."),
    ],
)
def test_author_card(state: str, line: str) -> None:
    card = author_card(submission(state, decision_note="See note"))
    assert line in card_text(card) and "See note" in card_text(card)


def test_answer_and_help_cards() -> None:
    answer = {
        "answer": "Don't comment on live cases.",
        "citations": [
            {"section": "Court cases", "anchor": "protocol#court-cases", "quote": "Never."}
        ],
        "llm": "failed",
    }
    text = card_text(answer_card(answer, question="Can I comment?"))
    assert "Can I comment?" in text and "📖 **Court cases**" in text and "Never." in text
    assert "The AI answer wasn't available" in text
    assert "checks a social media draft" in card_text(help_card())


# ---------------------------------------------------------------------- the schema check


def gallery() -> list[dict[str, Any]]:
    v = verdict(Severity.DO_NOT_POST, Severity.NEEDS_APPROVAL, Severity.ADVISE)
    return [
        verdict_card(v, draft=DraftRef("x", check="k"), titles=TITLES, llm_pending=True),
        verdict_card(v, draft=DraftRef("x"), titles=TITLES, dialog=True, notice="Note"),
        verdict_card(v, draft=DraftRef("x"), titles=TITLES, submitted=submission()),
        approval_card(submission(), titles=TITLES),
        approval_card(submission("rejected", decision_note="No"), titles=TITLES),
        author_card(submission("approved")),
        answer_card({"answer": "A", "citations": [{"section": "S", "quote": "Q"}]}),
        help_card(),
    ]


@pytest.mark.parametrize("index", range(8))
def test_every_card_passes_the_adaptive_card_15_check(index: int) -> None:
    assert validate_card(gallery()[index]) is not None


def test_many_findings_are_summarised_and_still_fit() -> None:
    v = Verdict(findings=[finding(Severity.ADVISE) for _ in range(40)], policy_version="p")
    card = verdict_card(v, draft=DraftRef("x " * 700), titles={})
    assert "…and 28 more findings." in card_text(card)
    validate_card(card)


def _broken(change: Any) -> dict[str, Any]:
    card = copy.deepcopy(approval_card(submission(), titles={}))
    change(card)
    return card


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(version="1.6"), "version"),
        (lambda c: c["body"].append({"type": "Media", "sources": []}), "body/"),
        (lambda c: c["body"][0].update(colour="Good"), "colour"),
        (lambda c: c["actions"][0].update(verb="canipost.nuke"), "verb"),
        (
            lambda c: c["actions"].append({"type": "Action.Submit", "title": "x", "data": {}}),
            "canipost",
        ),
        (lambda c: c["actions"].extend([c["actions"][0]] * MAX_ACTIONS), "actions"),
        (lambda c: c["actions"][0].update(title="x" * 80), "title"),
        (lambda c: c["body"].append(dict(inputs(c)[0])), "two inputs"),
        (
            lambda c: (
                c["body"].append({"type": "TextBlock", "text": "x" * 4000})
                or c["body"].extend([{"type": "TextBlock", "text": "y" * 4000}] * 6)
            ),
            "bytes",
        ),
    ],
)
def test_the_check_refuses_what_teams_would_reject(change: Any, message: str) -> None:
    with pytest.raises(CardError, match=message):
        validate_card(_broken(change))
