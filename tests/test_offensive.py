"""Tests for the shipped offensive-language model (no ../shared data needed).

Timing is deliberately not asserted (CI machines vary); instead the tests pin the behaviour
the speed tricks rely on: memoised and fresh scoring agree, and the fast score path and the
offset-tracking explain path see exactly the same tokens.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

import bot.detectors.offensive as off
from bot.detectors.offensive import MODEL_PATH, OffensiveModel, load_model, load_path

ABUSIVE = [
    "You are a fucking idiot",
    "shut up you stupid bitch",
    "What a pathetic piece of shit you are",
    "these people are disgusting morons",
]
BENIGN = [
    "Our libraries are now open until 8pm on Thursdays. Come and see us!",
    "Congratulations to our housing team, shortlisted for a national award.",
    "Thank you NHS staff for everything you do.",
    "The Christmas market opens on Friday with over 60 stalls.",
]
TRICKY = [
    "",
    "   \n\t ",
    "@user @user https://t.co/abc www.example.org",
    "İstanbul ＦＵＬＬＷＩＤＴＨ naïve café 🖕🖕 sh1t a$$ @$$hole f*ck stupiddddd",
    "It's   a killer hill,but the views—are worth it!!!",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def model() -> OffensiveModel:
    return load_model()


def tiny() -> OffensiveModel:
    """Hand-made model whose logits can be computed by hand."""
    weights = {"you": 1.0, "idiot": 2.0, "you idiot": 0.5, "nice": -1.5, "stupid": 1.0}
    return OffensiveModel(weights, -1.0, ["stupid", "shit", "cool"], {"advise": 0.5})


# ----------------------------------------------------------------------------- loading
def test_load_is_cached_and_has_ordered_thresholds(model: OffensiveModel) -> None:
    assert load_model() is model
    assert set(model.thresholds) >= {"advise", "needs_approval"}
    assert 0.0 < model.thresholds["advise"] < model.thresholds["needs_approval"] < 1.0
    assert len(model.unigrams) > 1000 and model.bigrams


def test_shipped_file_is_small_and_loadable_from_path() -> None:
    assert MODEL_PATH.stat().st_size < 1_500_000
    again = load_path(MODEL_PATH)
    assert again is not load_model()
    assert again.score(ABUSIVE[0]) == load_model().score(ABUSIVE[0])


def test_runtime_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(off.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    stdlib = {"__future__", "collections", "functools", "gzip", "itertools", "json", "math"}
    assert roots <= stdlib | {"pathlib", "re", "typing"}


# ----------------------------------------------------------------------------- scores
def test_scores_are_probabilities(model: OffensiveModel) -> None:
    for text in ABUSIVE + BENIGN + TRICKY:
        p = model.score(text)
        assert 0.0 <= p <= 1.0 and not math.isnan(p)


def test_abusive_scores_above_benign(model: OffensiveModel) -> None:
    worst_abusive = min(model.score(t) for t in ABUSIVE)
    best_benign = max(model.score(t) for t in BENIGN)
    assert worst_abusive > best_benign
    assert worst_abusive >= model.thresholds["needs_approval"]
    assert best_benign < model.thresholds["advise"]


def test_adding_an_insult_raises_the_score(model: OffensiveModel) -> None:
    base = "Thanks for coming to the open day"
    worse = base + ", you fucking idiots"
    assert model.score(worse) > model.score(base) + 0.3


def test_obfuscations_are_repaired(model: OffensiveModel) -> None:
    tok = model.tokenizer
    assert tok.tokens("Sh1t") == ["shit"]
    assert tok.tokens("stupiddddd!!!") == ["stupid"]
    assert tok.tokens("cooool") == ["cool"]
    assert tok.tokens("@user hi https://t.co/x 2024 $$$") == ["hi"]
    assert model.score("you are sh1t") == pytest.approx(model.score("you are shit"))


def test_memoised_and_fresh_scores_agree(model: OffensiveModel) -> None:
    fresh = load_path(MODEL_PATH)
    texts = ABUSIVE + BENIGN + TRICKY
    cold = [fresh.score(t) for t in texts]
    warm = [fresh.score(t) for t in texts]
    assert cold == warm == [model.score(t) for t in texts]


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(off, "_CACHE_LIMIT", 5)
    m = tiny()
    for i in range(50):
        m.score(f"word{i} you idiot")
        m.tokenizer.tokens(f"word{i} you idiot")
    assert len(m._memo) <= 5 and len(m.tokenizer._cache) <= 5
    assert m.logit("you idiot") == pytest.approx(-1.0 + 1.0 + 2.0 + 0.5)


# ----------------------------------------------------------------------------- exact arithmetic
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you idiot", -1 + 1 + 2 + 0.5),
        ("YOU,idiot", -1 + 1 + 2 + 0.5),  # bigram inside one whitespace chunk
        ("you @user https://x.y idiot", -1 + 1 + 2 + 0.5),  # skipped tokens keep adjacency
        ("idiot you", -1 + 2 + 1),  # bigram is ordered
        ("idiot idiot", -1 + 4),  # counts, not presence
        ("stuuuupid nice", -1 + 1 - 1.5),
        ("", -1.0),
    ],
)
def test_tiny_model_logits(text: str, expected: float) -> None:
    assert tiny().logit(text) == pytest.approx(expected)


# ----------------------------------------------------------------------------- spans
def test_explain_on_tiny_model() -> None:
    text = "hey  YOU idiot, nice"
    spans = tiny().explain(text)
    assert [text[s:e] for s, e, _ in spans] == ["idiot", "YOU"]
    assert [w for _, _, w in spans] == pytest.approx([2.25, 1.25])


def test_explain_spans_are_positive_sorted_and_index_the_text(model: OffensiveModel) -> None:
    for text in ABUSIVE + BENIGN + TRICKY:
        spans = model.explain(text, top=5)
        assert len(spans) <= 5
        weights = [w for _, _, w in spans]
        assert all(w > 0 for w in weights) and weights == sorted(weights, reverse=True)
        for s, e, _ in spans:
            assert 0 <= s < e <= len(text)
            assert model.tokenizer.normalize(text[s:e])  # a real token, not whitespace


def test_explain_points_at_the_abuse(model: OffensiveModel) -> None:
    text = "Lovely weather today, you fucking idiot"
    spans = model.explain(text, top=2)
    assert {text[s:e] for s, e, _ in spans} == {"fucking", "idiot"}
    assert model.explain(text, top=0) == []
    assert model.explain("") == []


def test_contributions_add_up_to_the_logit(model: OffensiveModel) -> None:
    for text in ABUSIVE + BENIGN + TRICKY:
        total = sum(w for _, _, w in model.contributions(text))
        assert total == pytest.approx(model.logit(text) - model.bias, abs=1e-9)


def test_fast_and_offset_tokenizers_agree(model: OffensiveModel) -> None:
    tok = model.tokenizer
    for text in ABUSIVE + BENIGN + TRICKY:
        spans = tok.token_spans(text)
        assert tok.tokens(text) == [t for t, _, _ in spans]
        for t, s, e in spans:
            assert tok.normalize(text[s:e]) == t


def test_letter_chunks_take_the_regex_free_path(model: OffensiveModel) -> None:
    """A chunk of letters only is tokenised without the regex: the same tokens."""
    tok = model.tokenizer
    for chunk in ("Thanks", "IDIOT", "Idiot", "Https", "WWW", "Straße", "ÉTÉ", "nice"):
        entry = model._entry(chunk)
        tokens = tok.chunk_tokens(chunk)
        assert entry[0] == (tokens[0] if tokens else ""), chunk
        assert entry[2] == pytest.approx(sum(model.unigrams.get(t, 0.0) for t in tokens))
