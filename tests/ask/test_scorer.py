"""The learned question-to-section scorer (bot/ask/scorer.py) and its blend with BM25."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.ask import scorer
from bot.ask.conversation import respond
from bot.ask.core import answerable
from bot.ask.threads import Turn
from bot.config import Config
from bot.policy import load_policy
from bot.policy.retrieval import index_for


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    scorer.reset()
    yield
    scorer.reset()


def test_the_shipped_model_loads_and_knows_every_section() -> None:
    model = scorer.load()
    anchors = set(load_policy(Config()).sections)
    assert set(model.anchors) == anchors
    assert len(model.rows) > 1000
    assert model.weight > 0
    probs = model.probabilities("can I tweet about the trial my neighbour is on the jury for?")
    assert abs(sum(probs.values()) - 1.0) < 1e-9
    assert max(probs, key=probs.__getitem__) == "court-cases"
    probs = model.probabilities("do I have to put #ad when a brand sends me free stuff")
    assert max(probs, key=probs.__getitem__) == "paid-promotion"


def test_the_model_file_round_trips(tmp_path: Path) -> None:
    model = scorer.load()
    path = tmp_path / "ask_model.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = scorer.load(path)
    q = "is it ok to post a selfie on the ward with a patient in the background"
    assert again.probabilities(q) == model.probabilities(q)
    assert (again.weight, again.follow_weight) == (model.weight, model.follow_weight)


def test_scores_are_deterministic() -> None:
    q = "my mate got nicked last night can i post about it"
    first = scorer.load().probabilities(q)
    scorer.reset()
    assert scorer.load().probabilities(q) == first
    assert scorer.features(q) == scorer.features(q)
    assert scorer.features("abt the trial") == scorer.features("about the trial")


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        '{"kind": "something-else"}',
        '{"kind": "canipost-ask-scorer", "feature_version": 1, "anchors": ["a"]}',
    ],
)
def test_a_corrupt_or_missing_file_falls_back_to_bm25_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    path = tmp_path / "ask_model.json"
    if content:
        path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="canipost.ask"):
        assert scorer.scorer(path) is None
        assert scorer.scorer(path) is None  # read once: one line, not one a question
    lines = [r for r in caplog.records if "learned scorer unavailable" in r.getMessage()]
    assert len(lines) == 1


def test_without_a_model_the_ranking_is_bm25s() -> None:
    index = index_for(load_policy(Config()))
    question = "can i share the police appeal about the stabbing on our page?"
    anchors = tuple(s.anchor for s in index.sections)
    raw = index.scores(index.query(question))
    scorer.use(None)
    assert (scorer.blend(question, anchors, raw) == raw).all()
    hits, on_topic = answerable(question, index)
    assert on_topic
    assert [s.anchor for s, _ in hits] == [s.anchor for s, _ in index.rank(raw)]
    assert scorer.follow_weight() == 0.0


def test_the_model_reorders_but_never_answers_what_bm25_refuses() -> None:
    index = index_for(load_policy(Config()))
    # The blend only reorders: an off-topic message stays off topic with the model on.
    for message in ("who won the match last night?", "what's the wifi password?"):
        _, on_topic = answerable(message, index)
        assert not on_topic
    # A weight strong enough to decide, the model's favourite section comes first.
    model = scorer.load()
    scorer.use(replace(model, weight=100.0))
    question = "our fun run has a sponsor, how do i thank them"
    hits, on_topic = answerable(question, index)
    probs = model.probabilities(question)
    assert on_topic
    assert hits[0][0].anchor == max(probs, key=probs.__getitem__)


def test_follow_ups_use_the_model_too() -> None:
    model = scorer.load()
    config = Config()
    messages = ["can i post a pic of the ward xmas party?", "what if one of the nurses is tagged"]

    def second_scores(weight: float) -> list[str]:
        scorer.use(replace(model, follow_weight=weight))
        history: list[Turn] = []
        answers = []
        for m in messages:
            answer, turn = respond(m, history, config=config, use_llm=False)
            history.append(turn)
            answers.append(answer)
        assert history[-1].kind == "followup"
        return [c.anchor for c in answers[-1].citations]

    # With an overwhelming weight the model's favourite for the follow-up is cited first.
    probs = model.probabilities(messages[-1])
    assert second_scores(1000.0)[0] == f"protocol#{max(probs, key=probs.__getitem__)}"


def test_inference_is_fast() -> None:
    model = scorer.load()
    questions = [
        f"can i post about the court case number {i} on my own facebook" for i in range(200)
    ]
    started = time.perf_counter()
    for q in questions:
        model.probabilities(q)
    assert (time.perf_counter() - started) / len(questions) < 0.001
