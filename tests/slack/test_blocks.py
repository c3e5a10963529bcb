"""Block Kit builders as plain data: what people see, and Slack's limits never exceeded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.adapters import clip
from bot.errors import InputError
from bot.slack import blocks as b
from bot.slack.text import escape, fit_quote, strip_leading_mention, to_plain
from bot.slack.values import (
    MAX_BUTTON_VALUE,
    DraftRef,
    dump_metadata,
    load_metadata,
    pack_draft,
    unpack_draft,
)
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, DecisionRecord, Submission


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TITLES = {"dont-get-into-a-row": "Don't get into a row", "contact-details": "Contact details"}


def finding(i: int = 0, sev: Severity = Severity.NEEDS_APPROVAL, **kw: object) -> Finding:
    data: dict[str, object] = {
        "rule": f"conflict.r{i}",
        "category": "conflict",
        "severity": sev,
        "start": 0,
        "end": 5,
        "quote": "idiot",
        "message": "This contains an insult.",
        "suggestion": "Make the point without it.",
        "policy_ref": "protocol#dont-get-into-a-row",
    }
    data.update(kw)
    return Finding(**data)  # type: ignore[arg-type]


def submission(
    state: str = "pending", text: str | None = "Kevin is an idiot", **kw: object
) -> Submission:
    data: dict[str, object] = {
        "id": "S-ABC123",
        "state": state,
        "text": text,
        "channel": "twitter",
        "author": Actor("slack", "UAUTHOR", "sam"),
        "verdict": Verdict([finding()], "v1"),
        "note": None,
        "predecessor_id": None,
        "approvals_needed": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    data.update(kw)
    return Submission(**data)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- verdicts


def test_verdict_shows_decision_quote_suggestion_and_section() -> None:
    msg = b.validate_message(
        b.verdict_message(
            Verdict([finding()], "v1"),
            draft=DraftRef("Kevin is an idiot", check="c1"),
            titles=TITLES,
        )
    )
    text = dumps(msg)
    assert "Needs approval from comms" in msg["text"]
    assert "“idiot”" in text and "Make the point without it." in text
    assert "Don't get into a row" in text  # the protocol heading, not the anchor
    route = next(blk for blk in msg["blocks"] if blk["type"] == "actions")
    assert route["elements"][0]["action_id"] == b.ACTION_SUBMIT
    assert unpack_draft(route["elements"][0]["value"]).check == "c1"


@pytest.mark.parametrize(
    ("sev", "actions"),
    [
        (None, []),
        (Severity.ADVISE, []),
        (Severity.NEEDS_APPROVAL, [b.ACTION_SUBMIT]),
        (Severity.DO_NOT_POST, [b.ACTION_SUBMIT_JUSTIFY]),
    ],
)
def test_routing_buttons_follow_the_decision(sev: Severity | None, actions: list[str]) -> None:
    findings = [finding(sev=sev)] if sev else []
    blocks = b.verdict_blocks(Verdict(findings, "v1"), draft=DraftRef("x"), titles={})
    got = [el["action_id"] for blk in blocks if blk["type"] == "actions" for el in blk["elements"]]
    assert got == [*actions, b.ACTION_FEEDBACK]  # "Was this right?" on every verdict


def test_user_text_is_escaped_so_it_cannot_ping_or_link() -> None:
    draft = "Hey <!channel> read <https://evil.example|this> & more"
    msg = b.verdict_message(Verdict([], "v1"), draft=DraftRef(draft), titles={})
    shown = [blk for blk in msg["blocks"] if blk["type"] != "actions"]  # values are not shown
    text = dumps({**msg, "blocks": shown})
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&amp; more" in text


def test_a_long_draft_with_many_findings_stays_within_limits() -> None:
    draft = "word " * 3000  # 15,000 characters
    findings = [finding(i, quote="q" * 500, message="m" * 2000) for i in range(40)]
    verdict = Verdict(findings, "v1", critique="c" * 5000, rewrite="r" * 5000)
    msg = b.validate_message(b.verdict_message(verdict, draft=DraftRef(draft), titles={}))
    text = dumps(msg)
    assert "Long draft: showing the start of 15,000 characters" in text
    assert "and 25 more findings" in text
    assert len(msg["blocks"]) <= b.MAX_MESSAGE_BLOCKS
    b.validate_view(b.verdict_view(verdict, draft=DraftRef(draft), titles={}))


def test_a_draft_too_long_for_a_button_says_so_instead() -> None:
    rnd = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4000))  # incompressible
    blocks = b.route_blocks(Verdict([finding()], "v1"), DraftRef(rnd))
    assert "too long to send from here" in dumps(blocks)


def test_llm_states_are_shown() -> None:
    pending = b.verdict_blocks(Verdict([], "v1"), draft=DraftRef("x"), titles={}, llm_pending=True)
    assert "on its way" in dumps(pending)
    failed = b.verdict_blocks(Verdict([], "v1", llm="failed"), draft=DraftRef("x"), titles={})
    assert "wasn't available" in dumps(failed)
    used = Verdict([finding(source="llm")], "v1", llm="used", critique="Tone.", rewrite="Better")
    text = dumps(b.verdict_blocks(used, draft=DraftRef("x"), titles={}))
    assert "AI review" in text and "Suggested rewrite" in text and ">Better" in text


def test_submitted_verdict_swaps_buttons_for_state_and_withdraw() -> None:
    blocks = b.verdict_blocks(
        Verdict([finding()], "v1"), draft=DraftRef("x"), titles={}, submitted=submission()
    )
    ids = [el["action_id"] for blk in blocks if blk["type"] == "actions" for el in blk["elements"]]
    assert ids == [b.ACTION_WITHDRAW, b.ACTION_FEEDBACK]
    assert "S-ABC123" in dumps(blocks)


# ---------------------------------------------------------------------- cards, DMs


def test_pending_card_has_the_three_decisions_and_the_context() -> None:
    sub = submission(note="It's for the newsletter")
    msg = b.validate_message(b.card_message(sub, titles=TITLES, on_behalf=True))
    text = dumps(msg)
    assert "<@UAUTHOR>" in text and "X (Twitter)" in text and "For the organisation" in text
    assert "It's for the newsletter" in text and "“idiot”" in text
    actions = next(blk for blk in msg["blocks"] if blk["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        b.ACTION_APPROVE,
        b.ACTION_CHANGES,
        b.ACTION_REJECT,
    ]
    assert {e["value"] for e in actions["elements"]} == {"S-ABC123"}


def test_decided_card_has_who_when_note_and_no_buttons() -> None:
    sub = submission(
        state="rejected",
        decided_by=Actor("slack", "UAPP"),
        decided_at=NOW + timedelta(minutes=5),
        decision_note="Names a member of the public",
    )
    msg = b.validate_message(b.card_message(sub, titles=TITLES))
    text = dumps(msg)
    assert not [blk for blk in msg["blocks"] if blk["type"] == "actions"]
    assert "Rejected" in text and "<@UAPP>" in text and "Names a member" in text
    assert f"<!date^{int((NOW + timedelta(minutes=5)).timestamp())}^" in text


def test_two_step_card_shows_progress() -> None:
    first = DecisionRecord("approve", False, Actor("slack", "UAPP"), None, NOW)
    sub = submission(approvals_needed=2, decisions=(first,))
    text = dumps(b.card_blocks(sub, titles={}))
    assert "Needs 2 approvals" in text and "<@UAPP>" in text


def test_purged_text_is_not_shown() -> None:
    sub = submission(text=None)
    assert "no longer kept" in dumps(b.validate_message(b.card_message(sub, titles={})))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("approved", "was approved"),
        ("changes_requested", "needs changes"),
        ("rejected", "was rejected"),
        ("expired", "expired without a decision"),
    ],
)
def test_author_dm_says_what_happened(state: str, words: str) -> None:
    sub = submission(state=state, decided_by=Actor("slack", "UAPP"), decided_at=NOW)
    assert words in b.validate_message(b.author_dm(sub))["text"]


# ---------------------------------------------------------------------- home, modals, answers


def test_home_for_an_approver_lists_the_queue_and_stays_within_limits() -> None:
    queue = [submission(id=f"S-{i:06d}") for i in range(60)]
    view = b.validate_view(b.home_view(mine=queue[:20], queue=queue))
    text = dumps(view)
    assert "Awaiting approval (60)" in text and "…and 40 more" in text
    assert len(view["blocks"]) <= b.MAX_VIEW_BLOCKS


def test_home_for_staff_has_no_queue() -> None:
    view = b.validate_view(b.home_view(mine=[], queue=None))
    assert "Awaiting approval" not in dumps(view)
    assert "haven't sent anything" in dumps(view)


def test_modals_are_valid() -> None:
    form = b.validate_view(b.check_modal(metadata={"channel": "C1"}))
    assert [blk["block_id"] for blk in form["blocks"]] == [
        b.BLOCK_DRAFT,
        b.BLOCK_NETWORK,
        b.BLOCK_BEHALF,
    ]
    options = form["blocks"][1]["element"]["options"]
    assert "x" not in [o["value"] for o in options]  # an alias of twitter, not a choice
    note = b.validate_view(b.note_modal("S-1", "changes", origin={"home": True}))
    assert load_metadata(note["private_metadata"]) == {
        "id": "S-1",
        "decision": "changes",
        "home": True,
    }
    packed = pack_draft(DraftRef("hello", check="c"))
    assert packed is not None
    b.validate_view(b.justify_modal(packed, origin={"r": "https://hooks.slack.com/x"}))


def test_answer_lists_citations() -> None:
    msg = b.validate_message(
        b.answer_message(
            {"answer": "No.", "citations": [{"section": "Court cases", "quote": "Never comment."}]},
            question="Can I?",
        )
    )
    assert "Court cases" in dumps(msg) and "Never comment." in dumps(msg)


def test_error_message_has_only_the_reference() -> None:
    msg = b.validate_message(b.error_message("ab12cd34"))
    assert "ab12cd34" in dumps(msg) and "Traceback" not in dumps(msg)


# ---------------------------------------------------------------------- the validator itself


@pytest.mark.parametrize(
    "blocks",
    [
        [b.section("x")] * 51,
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [b.actions(b.button("x", "a", "v" * 2001))],
        [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": b.plain("x" * 76), "action_id": "a"}],
            }
        ],
        [b.actions(b.button("a", "same"), b.button("b", "same"))],
        [{"type": "image"}],
    ],
)
def test_validator_rejects_what_slack_would(blocks: list[dict[str, object]]) -> None:
    with pytest.raises(b.BlockKitLimitError):
        b.validate_message({"text": "t", "blocks": blocks})


def test_validator_rejects_a_long_modal_title() -> None:
    view = b.check_modal()
    view["title"] = b.plain("x" * 25)
    with pytest.raises(b.BlockKitLimitError):
        b.validate_view(view)


# ---------------------------------------------------------------------- values and text


def test_draft_round_trips_through_a_button_value_compressed_when_long() -> None:
    short = DraftRef("Hello & <welcome>", "linkedin", True, "c1")
    assert unpack_draft(pack_draft(short) or "") == short
    long = DraftRef("We are delighted to announce our new library. " * 80, "any", False, "c2")
    value = pack_draft(long)
    assert value is not None and len(value) <= MAX_BUTTON_VALUE and '"z"' in value
    assert unpack_draft(value) == long


def test_foreign_button_values_are_an_input_error() -> None:
    with pytest.raises(InputError):
        unpack_draft("not json")
    with pytest.raises(InputError):
        unpack_draft('{"z": "!!!"}')


def test_metadata_limit() -> None:
    with pytest.raises(InputError):
        dump_metadata({"d": "x" * 3000})
    assert load_metadata("garbage") == {} and load_metadata(None) == {}


def test_slack_markup_is_undone_for_review() -> None:
    assert to_plain("Fish &amp; chips &lt;3 <https://x.org/a|x.org/a> <@U1|sam> <#C1|general>") == (
        "Fish & chips <3 https://x.org/a @sam #general"
    )
    assert to_plain("<!here> mail <mailto:a@b.org|a@b.org>") == "@here mail a@b.org"
    assert strip_leading_mention("<@UBOT>: can I post: hi") == "can I post: hi"


def test_clip_and_quote_respect_limits() -> None:
    assert clip("short", 10) == "short"
    assert len(clip("x" * 10_000, 100)) == 100
    quoted, cut = fit_quote("<&>" * 2000, 500)
    assert cut and len(quoted) <= 500 and "&amp;" in quoted
    assert escape("<&>") == "&lt;&amp;&gt;"


# ---------------------------------------------------------------------- the manifest matches the code


def test_manifest_matches_the_listeners_and_is_least_privilege() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"][0]["command"] == "/canipost"
    from bot.slack.oauth import DEFAULT_SCOPES, REDIRECT_PATH
    from bot.workspaces import slack_ui

    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {b.SHORTCUT_CHECK_MESSAGE: "message", slack_ui.SHORTCUT: "global"}
    # The manifest asks for exactly what the OAuth install asks for (issue 16).
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(DEFAULT_SCOPES)
    assert "user" not in manifest["oauth_config"]["scopes"]
    assert [u.endswith(REDIRECT_PATH) for u in manifest["oauth_config"]["redirect_urls"]] == [True]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(
        ["app_home_opened", "app_mention", "message.im", "app_uninstalled", "tokens_revoked"]
    )
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    urls = {
        manifest["features"]["slash_commands"][0]["url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
