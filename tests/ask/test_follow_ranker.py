"""The learned follow-up ranker (bot/ask/data/follow_model.json) and its fixed fallback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_conversation import talk  # a thread of messages, offline (same folder)

from bot.ask import conversation
from bot.ask.conversation import FOLLOW_FEATURES, follow_model, use_follow_model


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    conversation._follow.clear()
    yield
    conversation._follow.clear()


def test_the_shipped_ranker_loads_with_one_weight_per_feature() -> None:
    data = json.loads(conversation.FOLLOW_MODEL_PATH.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FOLLOW_FEATURES
    w = follow_model()
    assert w is not None and len(w) == len(FOLLOW_FEATURES)
    assert np.all(np.isfinite(w))


def test_features_have_one_row_per_section_and_are_recorded() -> None:
    record: list[object] = []
    conversation._RECORD = record
    try:
        talk("can i post a photo of a patient on my instagram?", "what if i blur her face?")
    finally:
        conversation._RECORD = None
    assert len(record) == 1
    feats = np.asarray(record[0])
    assert feats.shape[1] == len(FOLLOW_FEATURES)
    assert feats[:, FOLLOW_FEATURES.index("root")].sum() == 1.0


def test_a_follow_up_cites_two_sections_with_the_ranker_or_without(
    caplog: pytest.LogCaptureFixture,
) -> None:
    msgs = ("can i post a photo of a patient on my instagram?", "what if i blur her face?")
    learned = talk(*msgs)[-1]
    use_follow_model(None)
    fixed = talk(*msgs)[-1]
    for answer, turn in (learned, fixed):
        assert turn.kind == "followup"
        assert len(answer.citations) == 2  # type: ignore[attr-defined]


def test_a_corrupt_ranker_file_falls_back_with_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "follow_model.json"
    bad.write_text(json.dumps({"kind": "canipost-ask-follow", "features": ["own"], "weights": [1]}))
    monkeypatch.setattr(conversation, "FOLLOW_MODEL_PATH", bad)
    with caplog.at_level(logging.WARNING, logger="canipost.ask"):
        assert follow_model() is None
        assert follow_model() is None
    assert sum("follow-up ranker unavailable" in r.message for r in caplog.records) == 1
    monkeypatch.setattr(conversation, "FOLLOW_MODEL_PATH", tmp_path / "missing.json")
    conversation._follow.clear()
    assert follow_model() is None
    answer, turn = talk("can i post a photo of a patient on my instagram?", "and on tiktok?")[-1]
    assert turn.kind == "followup" and answer.citations  # type: ignore[attr-defined]
