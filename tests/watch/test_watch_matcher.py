"""The matcher on its own: spellings, boundaries, surnames as proper nouns, expiry, offsets.

No database: entries are built directly, the draft goes through the real
normalisation (``bot.text.prepare``) exactly as in a review.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.text import prepare
from bot.verdict import Severity
from bot.watch.matcher import WatchMatcher
from bot.watch.types import WatchEntry

LIGHTHOUSE = WatchEntry("W-1", "Project Lighthouse", "embargo")
PATEL = WatchEntry("W-2", "Priya Patel", "person")
HALL = WatchEntry("W-3", "Sarah Hall", "case")
KINGFISHER = WatchEntry("W-4", "Kingfisher", "codename", aliases=("KF-7",))
STRIKE = WatchEntry("W-5", "bin strike", "topic")
MATCHER = WatchMatcher([LIGHTHOUSE, PATEL, HALL, KINGFISHER, STRIKE])


def found(text: str, matcher: WatchMatcher = MATCHER) -> list[tuple[str, str]]:
    return [(h.entry.id, text[h.start : h.end]) for h in matcher.find(prepare(text))]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Big news about Project Lighthouse next week", "Project Lighthouse"),
        ("big news about PROJECT LIGHTHOUSE", "PROJECT LIGHTHOUSE"),
        ("So proud of #ProjectLighthouse!", "ProjectLighthouse"),
        ("Project Lighthouse's launch is close", "Project Lighthouse"),
        ("Project Lighthouse\u2019s launch is close", "Project Lighthouse"),
        ("the project-lighthouse team", "project-lighthouse"),
        ("Lighthouse project update soon", "Lighthouse project"),
        ("#SaveProjectLighthouseNow", "ProjectLighthouse"),
        ("follow @project_lighthouse", "project_lighthouse"),
        ("Project   Lighthouse", "Project   Lighthouse"),
    ],
)
def test_spellings_of_a_two_word_term_match(text: str, quote: str) -> None:
    assert found(text) == [("W-1", quote)]


@pytest.mark.parametrize(
    "text",
    [
        "the old lighthouse at Flamborough",
        "A project about lighthouses",
        "#ProjectLighthouses2",
        "Kingfishers on the canal this morning",
        "A bin and a strike of lightning",
    ],
)
def test_look_alikes_stay_clean(text: str) -> None:
    assert found(text) == []


def test_aliases_and_single_word_codenames_match() -> None:
    assert found("Kingfisher goes live Monday") == [("W-4", "Kingfisher")]
    assert found("kf-7 is ready") == [("W-4", "kf-7")]
    assert found("kf 7 is ready") == [("W-4", "kf 7")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great to meet Patel today", [("W-2", "Patel")]),
        ("Patel was brilliant", [("W-2", "Patel")]),  # not an everyday word: any capital
        ("PATEL was brilliant today", [("W-2", "PATEL")]),
        ("patel", []),  # lower case: not used as a name
        ("Priya Patel spoke", [("W-2", "Priya Patel")]),  # one hit, not two
        ("Patel, Priya spoke", [("W-2", "Patel, Priya")]),
        ("I saw Hall in court today", [("W-3", "Hall")]),
        ("Mrs Hall spoke to reporters", [("W-3", "Hall")]),
        ("Hall's lawyer spoke", [("W-3", "Hall")]),  # a possessive is a name
        ("Town Hall meeting tonight", []),  # part of another name
        ("Meet at Hall Road at 5", []),
        ("Hall hire is half price", []),  # sentence start, everyday word
        ("The village hall is open", []),
        ("WE LOVE THE HALL AT CHRISTMAS", []),  # shouting: case says nothing
        ("Green spaces matter. Hall said so.", []),
    ],
)
def test_surname_alone_matches_only_as_a_proper_noun(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text) == expected


def test_surname_rule_is_only_for_people_and_court_matters() -> None:
    codename = WatchEntry("W-9", "Operation Sandpiper", "codename")
    m = WatchMatcher([codename])
    assert found("Sandpiper sightings at the reserve", m) == []
    assert found("Operation Sandpiper starts", m) == [("W-9", "Operation Sandpiper")]


def test_surname_of_a_case_name() -> None:
    m = WatchMatcher([WatchEntry("W-8", "R v Okonkwo", "case")])
    assert found("Okonkwo appeared at the Crown Court", m) == [("W-8", "Okonkwo")]
    assert found("The R v Okonkwo trial", m) == [("W-8", "R v Okonkwo")]


def test_expired_entries_stop_matching_at_until() -> None:
    until = datetime(2027, 3, 1, tzinfo=UTC)
    m = WatchMatcher([WatchEntry("W-1", "Project Lighthouse", "embargo", until=until)])
    text = prepare("Project Lighthouse is coming")
    assert len(m.find(text, now=until - timedelta(seconds=1))) == 1
    assert m.find(text, now=until) == []


def test_offsets_point_into_the_draft_as_typed() -> None:
    # Zero-width space and a Cyrillic look-alike are normalised for matching only.
    draft = "Hi \u200b#Project\u200bLighth\u043euse and Priya Patel's news"
    hits = MATCHER.find(prepare(draft))
    assert [(h.entry.id, draft[h.start : h.end]) for h in hits] == [
        ("W-1", "Project\u200bLighth\u043euse"),
        ("W-2", "Priya Patel"),
    ]


def test_several_places_and_entries_in_one_draft() -> None:
    text = "Kingfisher and Project Lighthouse; again Kingfisher. bin strike too"
    assert found(text) == [
        ("W-4", "Kingfisher"),
        ("W-1", "Project Lighthouse"),
        ("W-4", "Kingfisher"),
        ("W-5", "bin strike"),
    ]


def test_severity_defaults_by_kind_and_entry_override() -> None:
    assert LIGHTHOUSE.effective_severity is Severity.DO_NOT_POST
    assert PATEL.effective_severity is Severity.NEEDS_APPROVAL
    assert STRIKE.category == "representation"
    softer = WatchEntry("W-6", "Kingfisher", "codename", severity=Severity.ADVISE)
    assert softer.effective_severity is Severity.ADVISE


def test_an_empty_list_finds_nothing() -> None:
    assert WatchMatcher([]).find(prepare("Project Lighthouse")) == []


def test_a_thousand_entries_still_find_the_right_one() -> None:
    entries = [WatchEntry(f"W-{i}", f"Operation Codeword{i}", "codename") for i in range(1000)]
    m = WatchMatcher([*entries, LIGHTHOUSE])
    assert found("#OperationCodeword517 and Project Lighthouse", m) == [
        ("W-517", "OperationCodeword517"),
        ("W-1", "Project Lighthouse"),
    ]
