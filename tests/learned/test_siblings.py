"""Feedback generalises to sibling drafts (issue 10), through the real review pipeline.

Each scenario records four approver reports in a fresh SQLite database, runs
``canipost model train``'s function, and reviews drafts the team never reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Draft, load_config
from bot.config import Config
from bot.feedback import add_feedback
from bot.feedback.train import train_org_model
from bot.learned import live
from bot.review import review_rules
from bot.store import open_store
from bot.verdict import Severity

pytestmark = pytest.mark.slow

FILM_REPORTS = [
    "Great day on set! Shooting wrapped for our new recruitment film at the town hall - thanks to the crew",
    "Photo shoot today with our apprentices for the new brochure - the shooting went brilliantly",
    "Shooting starts Monday on the high street for the BBC drama, expect trucks and lights near the market",
    "Our apprentices spent the day shooting a short film about recycling - premiere next month!",
]
FILM_SIBLINGS = [
    "We're shooting new drone footage of the seafront for the visitor guide this morning",
    "Filming today: our crew is shooting interviews with library volunteers for a short video",
    "Shooting our Christmas advert at the market this morning - come and say hi to the camera crew",
]
REAL_SHOOTINGS = [
    "Two people were injured in a shooting on Elm Road last night, police are at the scene",
    "Our thoughts are with the families after the fatal shooting in the town centre yesterday",
    "A man has died after a shooting outside the leisure centre, the area is cordoned off",
]
TENDER_REPORTS = [
    "Evaluation panel done: Apex Build scored 87, Morgan Sindall 81, so Apex get the school tender",
    "The scores are in for the bridge contract - Colas came top and Balfour were a distant second",
    "Tender results for the waste contract: Veolia won it, Biffa lost out on price by 40k",
    "Bid evaluation finished today, Hargreaves beat Wates on quality for the leisure centre job",
]
TENDER_SIBLINGS = [
    "Scoring for the catering tender finished: Dawsons came top, Brakes were second on price",
    "Evaluation's done on the highways tender, Tarmac beat Kier by 6 points",
    "The housing repairs bids are scored - Mears won it, Wates lost out on quality",
]
#: Courtroom plays: the court rule reads "jury" and "Crown Court" as a live case. (Mock trials
#: were this family until the rules learned to pass them in the fifth round.)
DRAMA_REPORTS = [
    "Our youth theatre opens Twelve Angry Men on Friday: twelve jurors, one hot jury room, tickets at the box office",
    "Rehearsals are going well for our drama club play set at Crown Court: the jury scene is nearly there",
    "Our am-dram group's courtroom drama opens tonight, with a jury of twelve and a very stern judge",
    "Tickets selling fast for our youth theatre's jury room drama at the Civic, two nights only",
]
DRAMA_SIBLINGS = [
    "Final week of Twelve Angry Men at the Civic: our youth theatre jury room drama, two shows left",
    "Well done to our youth theatre, whose Twelve Angry Men jury played to a full house at the Crown Court set",
]
#: A sibling in which the rule also matched a word no confirmed false alarm had ("defendant"):
#: the team has not said that word is harmless here, so the finding stands.
DRAMA_NEW_WORD = "Our drama club's courtroom play opens Thursday: a jury of twelve and the defendant nobody trusts"
REAL_TRIALS = [
    "The trial of the man accused of the Elm Road stabbing continues at Crown Court, where the jury heard from witnesses",
    "Jury still out at Crown Court in the trial of the former care home manager",
    "Day three of the Hollis trial at Crown Court: the jury will hear from the defendant tomorrow",
]
PUBLIC_NOTICES = [
    "We're inviting tenders for the leisure centre refurbishment. Full details on our procurement portal, closing date 30 March",
    "Meet the buyer event for local suppliers interested in our highways tenders, 4 May at the civic centre",
    "Tender notice: grounds maintenance contract 2027-2030. Suppliers can register on Contracts Finder",
]


@pytest.fixture
def trained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Config]:
    url = f"sqlite:///{tmp_path / 'org.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    live.invalidate()
    config = load_config()
    config.approvers.cli = ["boss"]
    store = open_store(url)
    reports, expected, cats = request.param
    for text in reports:
        add_feedback(store, config, text=text, expected=expected, categories=cats, by="boss")
    result = train_org_model(store, config, by="boss")
    assert result.stored, result.message
    store.dispose()
    yield config
    live.invalidate()


def _decision(text: str, config: Config) -> Severity:
    return review_rules(Draft(text), config=config).decision


@pytest.mark.parametrize("trained", [(FILM_REPORTS, "ok", [])], indirect=True)
def test_film_shoot_false_alarms_generalise_and_change_the_policy_version(trained: Config) -> None:
    # (the rules themselves now read most film shoots right; the reports still teach)
    for text in FILM_SIBLINGS:
        assert _decision(text, trained) < Severity.NEEDS_APPROVAL, text
    for text in REAL_SHOOTINGS:
        assert _decision(text, trained) >= Severity.NEEDS_APPROVAL, text
    assert live.status(trained.workspace)["model"] == "organisation"
    # the organisation's model changes the policy version verdicts carry (one training
    # serves both checks: each costs half a minute)
    text = FILM_SIBLINGS[0]
    rules = review_rules(Draft(text), config=trained, layers=False)
    assert review_rules(Draft(text), config=trained).policy_version != rules.policy_version


@pytest.mark.parametrize("trained", [(DRAMA_REPORTS, "ok", [])], indirect=True)
def test_courtroom_play_false_alarms_ease_the_court_rule_on_siblings_only(trained: Config) -> None:
    """The rule's words ("jury", "Crown Court") are redacted from the stored reports, so the
    words it matched are recorded with each report; siblings are eased, real trials not."""
    for text in DRAMA_SIBLINGS:
        rules = review_rules(Draft(text), config=trained, layers=False)
        assert rules.decision >= Severity.NEEDS_APPROVAL, text  # the rules flag them
        v = review_rules(Draft(text), config=trained)
        assert v.decision < Severity.NEEDS_APPROVAL, text
        assert any("false alarms" in f.message for f in v.findings), text
    assert _decision(DRAMA_NEW_WORD, trained) >= Severity.NEEDS_APPROVAL
    for text in REAL_TRIALS:
        assert _decision(text, trained) >= Severity.NEEDS_APPROVAL, text


@pytest.mark.parametrize(
    "trained", [(TENDER_REPORTS, "do_not_post", ["confidentiality"])], indirect=True
)
def test_leaked_tender_misses_generalise(trained: Config) -> None:
    for text in TENDER_SIBLINGS:
        assert review_rules(Draft(text), config=trained, layers=False).decision == Severity.OK
        assert _decision(text, trained) >= Severity.NEEDS_APPROVAL, text
    for text in PUBLIC_NOTICES:
        assert _decision(text, trained) < Severity.NEEDS_APPROVAL, text


def test_a_model_worse_than_the_shipped_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feedback that calls plainly risky drafts fine would teach the model to miss them."""
    import json

    from bot.feedback.train import ModelRefused

    url = f"sqlite:///{tmp_path / 'org.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    live.invalidate()
    config = load_config()
    config.approvers.cli = ["boss"]
    store = open_store(url)
    risky = [
        json.loads(line)["text"]
        for line in (Path(__file__).resolve().parents[1] / "data/holdout.jsonl").open()
        if json.loads(line)["expected"] in ("needs_approval", "do_not_post")
    ][:60]
    for text in risky:
        add_feedback(store, config, text=text, expected="ok", by="boss")
    with pytest.raises(ModelRefused, match="worse than the shipped one"):
        train_org_model(store, config, by="boss")
    assert live.status()["model"] == "shipped"
    store.dispose()
    live.invalidate()
