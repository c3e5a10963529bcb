"""A learned question-to-section scorer, blended with BM25 (``canipost ask``).

Hand-written phrase lists (``bot/policy/data/phrases.txt``) say which section a question is
about in the words they were written for; a small multinomial logistic regression over
hashed words, five-letter word prefixes and adjacent word pairs, trained by
``scripts/train_ask.py`` on labelled staff questions and the protocol's own sentences,
says it in the words staff use. Retrieval ranks by::

    bm25 + weight * best_bm25 * p(section | question)

so the model reorders the sections for a question BM25 matched, and a question BM25 finds
nothing in stays unanswered. Whether a message is about the policy at all, and whether a
follow-up changes the topic, stay BM25's calls; so do the sections sent to an LLM (that path
was not measured). The model ships as ``bot/ask/data/ask_model.json``: the anchors, the
kept feature hashes and their int8-quantised weights (zlib + base64). Inference is pure
Python (a dict look-up and a row of additions per feature: about 0.2 ms a question).
A missing or corrupt file logs one line and leaves BM25 alone.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import logging
import math
import re
import threading
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("canipost.ask")

MODEL_PATH = Path(__file__).with_name("data") / "ask_model.json"
#: Changing the features below changes every hash: bump it so old model files are refused.
FEATURE_VERSION = 1
BITS = 20
_MASK = (1 << BITS) - 1
PREFIX = 5
#: Blend weights when the model file names none. The file carries its own, chosen with it
#: by grouped cross-validation (scripts/train_ask.py): the model's probability, times the
#: best BM25 score, added to BM25 for a question on its own ...
WEIGHT = 2.0
#: ... and added to the (scaled to 1) follow-up scores of bot.ask.conversation.
FOLLOW_WEIGHT = 1.0

_WORD = re.compile(r"[a-z0-9#]+(?:'[a-z]+)?")


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


@functools.lru_cache(maxsize=8192)
def _word_feats(word: str) -> tuple[int, ...]:
    feats = {_h("w:" + word)}
    if len(word) > PREFIX + 1:
        feats.add(_h("p:" + word[:PREFIX]))
    return tuple(feats)


def features(text: str) -> list[int]:
    """Hashed features of a question: each distinct word, its first five letters, and each
    distinct adjacent pair (informal spellings read first: ``abt`` is ``about``)."""
    from bot.policy.retrieval import normalise_question

    ws = _WORD.findall(normalise_question(text, phrases=False))
    out: set[int] = set()
    for w in ws:
        out.update(_word_feats(w))
    out.update(_h(f"b:{a} {b}") for a, b in itertools.pairwise(ws))
    return sorted(out)


@dataclass(frozen=True, slots=True)
class Scorer:
    """Section probabilities for a question (softmax over the model's anchors)."""

    anchors: tuple[str, ...]
    rows: dict[int, int]  # feature hash -> row number in weights
    weights: array  # int8, len(rows) * len(anchors)
    scale: float
    bias: tuple[float, ...]
    weight: float = WEIGHT
    follow_weight: float = FOLLOW_WEIGHT

    def probabilities(self, text: str) -> dict[str, float]:
        """``{anchor: probability}`` for every anchor the model knows."""
        every = features(text)
        feats = [r for f in every if (r := self.rows.get(f)) is not None]
        k = len(self.anchors)
        logits = [0.0] * k
        w = self.weights
        for r in feats:
            base = r * k
            for j in range(k):
                logits[j] += w[base + j]
        # As in training: over all the question's features, known or not.
        norm = self.scale / math.sqrt(len(every)) if feats else 0.0
        z = [b + norm * x for b, x in zip(self.bias, logits, strict=True)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {a: v / total for a, v in zip(self.anchors, e, strict=True)}

    # -------------------------------------------------------------- the file

    def to_json(self) -> dict[str, Any]:
        hashes = array("I", sorted(self.rows, key=self.rows.__getitem__))
        return {
            "kind": "canipost-ask-scorer",
            "feature_version": FEATURE_VERSION,
            "anchors": list(self.anchors),
            "scale": self.scale,
            "weight": self.weight,
            "follow_weight": self.follow_weight,
            "bias": [round(b, 5) for b in self.bias],
            "hashes": base64.b64encode(zlib.compress(hashes.tobytes(), 9)).decode("ascii"),
            "weights": base64.b64encode(zlib.compress(self.weights.tobytes(), 9)).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorer:
        if data.get("kind") != "canipost-ask-scorer":
            raise ValueError("not an ask scorer")
        if data.get("feature_version") != FEATURE_VERSION:
            raise ValueError(f"feature version {data.get('feature_version')} != {FEATURE_VERSION}")
        anchors = tuple(str(a) for a in data["anchors"])
        hashes = array("I")
        hashes.frombytes(zlib.decompress(base64.b64decode(data["hashes"])))
        weights = array("b")
        weights.frombytes(zlib.decompress(base64.b64decode(data["weights"])))
        bias = tuple(float(b) for b in data["bias"])
        if not anchors or len(bias) != len(anchors) or len(weights) != len(hashes) * len(anchors):
            raise ValueError("inconsistent sizes")
        return cls(
            anchors,
            {h: i for i, h in enumerate(hashes)},
            weights,
            float(data["scale"]),
            bias,
            float(data.get("weight", WEIGHT)),
            float(data.get("follow_weight", FOLLOW_WEIGHT)),
        )

    @classmethod
    def from_dense(
        cls,
        anchors: Sequence[str],
        hashes: Sequence[int],
        coef: Any,
        bias: Sequence[float],
        weight: float = WEIGHT,
        follow_weight: float = FOLLOW_WEIGHT,
    ) -> Scorer:
        """From trained weights (``coef[feature][anchor]``, floats), quantised to int8."""
        k = len(anchors)
        flat = [float(x) for row in coef for x in row]
        peak = max((abs(x) for x in flat), default=0.0) or 1.0
        scale = peak / 127.0
        weights = array("b", (max(-127, min(127, round(x / scale))) for x in flat))
        assert len(weights) == len(hashes) * k
        rows = {int(h): i for i, h in enumerate(hashes)}
        return cls(
            tuple(anchors),
            rows,
            weights,
            scale,
            tuple(float(b) for b in bias),
            weight,
            follow_weight,
        )


def load(path: Path = MODEL_PATH) -> Scorer:
    """Read a model file (raises OSError or ValueError when it is missing or corrupt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Scorer.from_json(data)
    except (OSError, ValueError):
        raise
    except (KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise ValueError(f"corrupt ask model: {exc}") from exc


_lock = threading.Lock()
_loaded: dict[str, Scorer | None] = {}


def scorer(path: Path | None = None) -> Scorer | None:
    """The shipped scorer, read once per process; None (BM25 alone, one log line) when the
    file is missing or corrupt."""
    p = path or MODEL_PATH
    key = str(p)
    with _lock:
        if key not in _loaded:
            try:
                _loaded[key] = load(p)
            except (OSError, ValueError) as exc:
                log.warning("ask: learned scorer unavailable, using BM25 alone: %s: %s", p, exc)
                _loaded[key] = None
        return _loaded[key]


def use(model: Scorer | None) -> None:
    """Install ``model`` as the scorer (training's cross-validation, tests); None: BM25 alone."""
    with _lock:
        _loaded[str(MODEL_PATH)] = model
    _section_probs.cache_clear()


def reset() -> None:
    """Forget the loaded scorer: the next call reads the file again."""
    with _lock:
        _loaded.clear()
    _section_probs.cache_clear()


@functools.lru_cache(maxsize=4096)
def _section_probs(text: str, anchors: tuple[str, ...]) -> tuple[float, ...] | None:
    model = scorer()
    if model is None:
        return None
    probs = model.probabilities(text)
    return tuple(probs.get(a, 0.0) for a in anchors)


def section_probabilities(text: str, anchors: tuple[str, ...]) -> tuple[float, ...] | None:
    """The model's probability of each of ``anchors`` for ``text`` (None: no model)."""
    return _section_probs(text, anchors)


def follow_weight() -> float:
    """Weight of the model's probabilities in a follow-up's scores (0: no model)."""
    model = scorer()
    return model.follow_weight if model is not None else 0.0


def blend(text: str, anchors: tuple[str, ...], raw: Any) -> Any:
    """BM25 scores ``raw`` (numpy, one per anchor) plus weight x best x probability."""
    model = scorer()
    top = float(raw.max()) if len(raw) else 0.0
    if model is None or model.weight <= 0 or top <= 0:
        return raw
    probs = section_probabilities(text, anchors)
    if probs is None:
        return raw
    w = model.weight
    import numpy as np

    return raw + (w * top) * np.asarray(probs)
