"""review(): the verdict contract, decisions, merging and offsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import CATEGORIES, Draft, Severity, Verdict, load_config, review
from bot.config import Config, Organisation
from bot.review import merge_findings, review_rules
from bot.verdict import Finding

CFG = load_config(None)


def rules(text: str, channel: str = "any", config: Config = CFG) -> Verdict:
    return review_rules(Draft(text, channel), config=config)


def test_kickoff_example() -> None:
    v = rules("Mrs Patel in bed 4 went home after her stroke")
    assert v.decision is Severity.DO_NOT_POST
    f = v.findings[0]
    assert f.category == "confidentiality" and f.policy_ref == "protocol#confidential-information"
    assert f.quote and "Mrs Patel" in f.quote and f.message and f.suggestion


def test_org_contact_details_are_ok() -> None:
    assert rules("Call 0300 123 4567 or email info@example.gov.uk").decision is Severity.OK


def test_personal_contact_details_are_not() -> None:
    assert rules("Text me on 07700 900456").decision is Severity.DO_NOT_POST
    assert rules("email me at jane.doe1985@gmail.com").decision is Severity.DO_NOT_POST


def test_configured_org_numbers_and_domains_allowed() -> None:
    org = Organisation(
        name="Northbridge Council", domains=["northbridge.gov.uk"], phones=["0114 273 4567"]
    )
    cfg = Config(organisation=org)
    assert (
        rules("Call 0114 273 4567 or email jane.smith@northbridge.gov.uk", config=cfg).decision
        is Severity.OK
    )
    assert (
        rules("Call 0114 273 4567 or email jane.smith@northbridge.gov.uk").decision
        is Severity.ADVISE
    )


def test_verdict_json_shape() -> None:
    v = review(
        Draft("Find out more at tinyurl.com/abc123", "twitter", id="x1"), config=CFG, use_llm=False
    )
    d = json.loads(json.dumps(v.to_dict()))
    assert list(d)[:2] == ["id", "decision"]
    assert d["decision"] == "advise" and d["llm"] == "off" and d["rewrite"] is None
    assert len(d["policy_version"]) == 12
    for f in d["findings"]:
        assert set(f) == {
            "rule",
            "category",
            "severity",
            "start",
            "end",
            "quote",
            "message",
            "suggestion",
            "policy_ref",
            "source",
        }
        assert f["category"] in CATEGORIES and f["source"] == "rules"
        assert f["policy_ref"].startswith("protocol#")
        if f["start"] is not None:
            assert "Find out more at tinyurl.com/abc123"[f["start"] : f["end"]] == f["quote"]


def test_decision_is_most_severe_finding() -> None:
    v = rules("FREE FREE FREE!!! Text me on 07700 900456!!!")
    assert v.decision is Severity.DO_NOT_POST
    assert v.decision == max(f.severity for f in v.findings)
    assert {f.severity for f in v.findings} >= {Severity.ADVISE, Severity.DO_NOT_POST}


def test_offsets_point_into_the_draft_as_given() -> None:
    draft = "Can someone chase NHS n\u200bo. 943\u200b 476 5919 today"
    v = rules(draft)
    # The validated detector or the labelled-identifier rule (which also quotes the label).
    nhs = next(f for f in v.findings if f.category == "confidentiality")
    assert nhs.rule in ("confidentiality.nhs_number", "confidentiality.labelled_identifier")
    assert draft[nhs.start : nhs.end] == nhs.quote
    assert nhs.quote.replace("\u200b", "").endswith("943 476 5919")


@pytest.mark.parametrize(
    "draft",
    [
        "Mrs Patel in b\u200bed 4 went home after her str\u200boke",
        "Mrs Patel in bed 4 went home after her ѕtrоke",  # Cyrillic ѕ and о
        "the p a t i e n t in bed 4, Mrs Brown, has dementia",
    ],
)
def test_hiding_tricks_do_not_work(draft: str) -> None:
    assert rules(draft).decision is Severity.DO_NOT_POST


def test_overlapping_findings_of_one_category_merge() -> None:
    def mk(rule: str, sev: Severity, s: int, e: int, cat: str = "conflict") -> Finding:
        return Finding(rule, cat, sev, s, e, "q", "m", "s", "protocol#x")

    merged = merge_findings(
        [
            mk("a", Severity.ADVISE, 0, 10),
            mk("b", Severity.DO_NOT_POST, 2, 8),
            mk("c", Severity.NEEDS_APPROVAL, 0, 10, cat="legal"),
            mk("d", Severity.ADVISE, 20, 25),
        ]
    )
    assert [f.rule for f in merged] == ["b", "c", "d"]


def test_no_repeated_findings_on_same_words() -> None:
    v = rules("These lazy parasites on benefits make me sick.")
    spans = [(f.category, f.start, f.end) for f in v.findings]
    assert len(spans) == len(set(spans))


def test_channel_length_limits() -> None:
    long = "Our libraries are open late. " * 12
    assert any(f.rule == "strategy.length" for f in rules(long, "twitter").findings)
    assert not any(f.rule == "strategy.length" for f in rules(long, "facebook").findings)


def test_emoji_only_and_huge_drafts_get_a_verdict() -> None:
    assert rules("🎉🎉🎉🎉🎉🎉").decision is Severity.ADVISE
    blog = (
        "The council has approved plans for a new park with play areas and a café. " * 700
    ).strip()
    v = rules(blog, "linkedin")
    assert v.decision >= Severity.OK  # reviewed without error


def test_unknown_channel_and_profile() -> None:
    with pytest.raises(ValueError, match="unknown channel 'myspace'"):
        rules("hello", "myspace")
    with pytest.raises(Exception, match="unknown profile 'school'"):
        CFG.with_profile("school")


def test_x_is_twitter() -> None:
    long = "word " * 70
    assert any(f.rule == "strategy.length" for f in rules(long, "x").findings)


HOLDOUT = Path(__file__).parent / "data" / "holdout.jsonl"


def test_quality_on_our_labelled_drafts() -> None:
    """Regression guard on 240 labelled drafts we wrote (see tests/data/README.md)."""
    from bot.evaluation import evaluate, read_cases

    cases = read_cases(HOLDOUT)
    configs: dict[str, Config] = {}

    def decide(case):  # type: ignore[no-untyped-def]
        cfg = configs.setdefault(
            case.profile or "council", CFG.with_profile(case.profile or "council")
        )
        return review_rules(Draft(case.text, case.channel), config=cfg)

    report = evaluate(cases, decide)
    assert report.risky_recall is not None and report.risky_recall >= 0.95
    assert report.block_recall is not None and report.block_recall >= 0.90
    assert report.false_alarms is not None and report.false_alarms <= 0.03
    assert report.category_hits is not None and report.category_hits >= 0.90
