"""The learned model: a compact binary weight table with pure-Python inference.

One linear head per output (``risky``, ``block`` and one per category), all sharing the
hashed features of :mod:`bot.learned.features`, and optionally a one-hidden-layer network
(``hidden`` ReLU units) over the same features whose output is added to a head's logit
(the ``risky`` head: see ``Method`` in :mod:`bot.learned.fit`). The file is a small header (JSON: heads,
biases, scales, thresholds, the network's small second layer, provenance) followed by the
sorted feature keys (``array('I')``), one ``array('h')`` of int16-quantised weights per head
and, with a hidden layer, its first layer as one int8 row of ``hidden`` weights per feature
(stored +128, per-unit scale). Loading is a ``frombytes`` (about a millisecond); scoring a
tweet is a few dozen dict look-ups and one ``sum(map())`` per head, and the hidden layer is
one sum of big integers: a feature's row is packed once into a Python int with a 32-bit
field per unit, so adding a draft's rows adds all units at once. No numpy at run time.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import struct
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from bot.learned.features import (
    BITS,
    FEATURE_VERSION,
    pair_hash,
    word_entry,
    words,
)

_PAIR_MASK = (1 << BITS) - 1

__all__ = [
    "BLOCK_CATEGORIES",
    "CATEGORY_HEADS",
    "FORMAT",
    "LinearModel",
    "Mlp",
    "ModelFormatError",
    "Scores",
    "judge",
]

MAGIC = b"CPLM"
#: Binary layout version written; an older stored model is refused (and the shipped one used).
#: 2: optional hidden layer (int8 rows after the linear heads, its second layer in the header).
FORMAT = 2
#: Layouts read: 1 is 2 without a hidden layer (the shipped linear model and organisation
#: models stored before format 2 stay usable).
READS = (1, 2)
HEADS_FIXED = ("risky", "block")
CATEGORY_HEADS = (
    "confidentiality",
    "legal",
    "safeguarding",
    "conflict",
    "reputation",
    "representation",
    "sensitivity",
    "promotion",
    "strategy",
    "accessibility",
)
_CACHE_LIMIT = 200_000


class ModelFormatError(ValueError):
    """The bytes are not a learned model this version can read."""


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(slots=True)
class Scores:
    """Probabilities per head for one draft, plus what is needed to explain them."""

    probs: dict[str, float]
    words: list[str] = field(default_factory=list)


class _Packed(dict[int, int]):
    """Row -> its hidden-layer weights packed into one int (built on first use); the
    unknown-feature row packs to 0."""

    def __init__(self, model: LinearModel) -> None:
        super().__init__()
        self._rows = model._hrows
        self._h = model.hidden
        self._n = model._n
        self[self._n] = 0

    def __missing__(self, row: int) -> int:
        h = self._h
        assert self._rows is not None
        got = int.from_bytes(array("I", self._rows[row * h : (row + 1) * h]).tobytes(), "little")
        if len(self) >= _CACHE_LIMIT:
            self.clear()
            self[self._n] = 0
        self[row] = got
        return got


@dataclass(slots=True)
class Mlp:
    """A hidden layer to serialise: ``w1`` one row of ``hidden`` floats per key (aligned with
    the keys given to :meth:`LinearModel.build`), ``w2`` one row per output head."""

    heads: Sequence[str]
    w1: Sequence[Sequence[float]]
    b1: Sequence[float]
    w2: Sequence[Sequence[float]]
    b2: Sequence[float]
    #: The network is skipped for a draft whose linear logit is under this (None: never).
    floor: float | None = None

    @property
    def hidden(self) -> int:
        return len(self.b1)


class LinearModel:
    """Multi-head logistic regression over hashed features (see :mod:`bot.learned.features`)."""

    def __init__(
        self,
        header: dict[str, Any],
        keys: array[int],
        weights: list[array[int]],
        hidden_rows: array[int] | None = None,
    ) -> None:
        self.header = header
        self.heads: tuple[str, ...] = tuple(header["heads"])
        self.bias: list[float] = [float(b) for b in header["bias"]]
        self.scale: list[float] = [float(s) for s in header["scale"]]
        self.thresholds: dict[str, Any] = dict(header.get("thresholds", {}))
        self.version: str = str(header.get("version", ""))
        #: Whether the rules' signals are features (else callers pass none).
        self.uses_signals: bool = bool(header.get("signals", False))
        self.keys = keys
        self.weights = weights
        self._n = len(keys)
        mlp = header.get("mlp") or {}
        #: Hidden units (0: linear heads only).
        self.hidden: int = int(mlp.get("hidden", 0)) if hidden_rows is not None else 0
        self._hrows = hidden_rows
        # head index -> index of the network output blended into it
        self._mlp_out: dict[int, int] = {
            self.heads.index(h): i for i, h in enumerate(mlp.get("heads", ())) if h in self.heads
        }
        self._b1: list[float] = [float(x) for x in mlp.get("b1", ())]
        self._s1: list[float] = [float(x) for x in mlp.get("scale1", ())]
        self._w2: list[list[float]] = [[float(x) for x in r] for r in mlp.get("w2", ())]
        self._b2: list[float] = [float(x) for x in mlp.get("b2", ())]
        #: Below this linear logit the network is skipped (a cascade: most drafts).
        floor = mlp.get("floor")
        self._floor = -math.inf if floor is None else float(floor)
        # row -> the row's hidden weights (+128) packed as one int, 32 bits per unit
        self._packed = _Packed(self)
        # hash -> row for every stored feature (a few tens of thousands: ~1 ms to build);
        # a miss is an unknown feature, which maps to the zero row.
        self._row: dict[int, int] = dict(zip(keys, range(self._n), strict=True))
        # word -> (rows of its own features, how many, its pair key)
        self._word_rows: dict[str, tuple[tuple[int, ...], int, int]] = {}
        # A zero row appended to every head: unknown features map there (no branch in sums).
        for w in self.weights:
            w.append(0)

    # ------------------------------------------------------------------ (de)serialisation
    @classmethod
    def from_bytes(cls, blob: bytes) -> LinearModel:
        """Parse a model file; raise ModelFormatError on anything unexpected."""
        try:
            if blob[:4] != MAGIC:
                raise ModelFormatError("not a canipost learned model (bad magic)")
            (hlen,) = struct.unpack_from("<I", blob, 4)
            header = json.loads(blob[8 : 8 + hlen].decode("utf-8"))
            if header.get("format") not in READS or (
                header.get("format") == 1 and header.get("mlp")
            ):
                raise ModelFormatError(
                    f"model format {header.get('format')!r}; this version reads "
                    + " and ".join(map(str, READS))
                )
            if header.get("feature_version") != FEATURE_VERSION:
                raise ModelFormatError(
                    f"feature version {header.get('feature_version')!r}; "
                    f"this version uses {FEATURE_VERSION}"
                )
            n = int(header["n"])
            heads = header["heads"]
            mlp = header.get("mlp") or {}
            hidden = int(mlp.get("hidden", 0))
            off = 8 + hlen
            if len(blob) != off + 4 * n + 2 * n * len(heads) + n * hidden:
                raise ModelFormatError("model file is truncated or has trailing data")
            keys = array("I")
            keys.frombytes(blob[off : off + 4 * n])
            off += 4 * n
            weights = []
            for _ in heads:
                w = array("h")
                w.frombytes(blob[off : off + 2 * n])
                off += 2 * n
                if len(w) != n:
                    raise ModelFormatError("model file is truncated")
                weights.append(w)
            hidden_rows = None
            if hidden:
                hidden_rows = array("B")
                hidden_rows.frombytes(blob[off : off + n * hidden])
                off += n * hidden
                outs = len(mlp["heads"])
                if (
                    len(mlp["b1"]) != hidden
                    or len(mlp["scale1"]) != hidden
                    or len(mlp["b2"]) != outs
                    or len(mlp["w2"]) != outs
                    or any(len(r) != hidden for r in mlp["w2"])
                ):
                    raise ModelFormatError("model header is inconsistent")
            if len(keys) != n or off != len(blob):
                raise ModelFormatError("model file is truncated or has trailing data")
            if len(header["bias"]) != len(heads) or len(header["scale"]) != len(heads):
                raise ModelFormatError("model header is inconsistent")
        except ModelFormatError:
            raise
        except (KeyError, TypeError, ValueError, struct.error, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"model file is corrupt ({exc.__class__.__name__})") from None
        return cls(header, keys, weights, hidden_rows)

    @staticmethod
    def build(
        header: dict[str, Any],
        keys: Sequence[int],
        head_weights: Sequence[Sequence[float]],
        biases: Sequence[float],
        mlp: Mlp | None = None,
    ) -> bytes:
        """Serialise float weights (one sequence per head, aligned with ``keys``) to bytes.

        Weights are quantised per head to int16 with a scale of max|w| / 32767; a hidden
        layer's first-layer weights (one row of ``hidden`` floats per key) per unit to int8
        with a scale of max|w| / 127.
        """
        order = sorted(range(len(keys)), key=lambda i: keys[i])
        k = array("I", [keys[i] for i in order])
        scales = []
        blobs = []
        for ws in head_weights:
            top = max((abs(ws[i]) for i in order), default=0.0) or 1.0
            scale = top / 32767.0
            scales.append(scale)
            q = array("h", [max(-32767, min(32767, round(ws[i] / scale))) for i in order])
            blobs.append(q.tobytes())
        header = dict(header)
        header.pop("mlp", None)
        if mlp is not None and mlp.hidden:
            h = mlp.hidden
            tops = [max((abs(mlp.w1[i][j]) for i in order), default=0.0) or 1.0 for j in range(h)]
            s1 = [t / 127.0 for t in tops]
            rows = bytearray()
            for i in order:
                r = mlp.w1[i]
                rows.extend(max(1, min(255, round(r[j] / s1[j]) + 128)) for j in range(h))
            blobs.append(bytes(rows))
            header["mlp"] = {
                "hidden": h,
                "heads": list(mlp.heads),
                "b1": [float(x) for x in mlp.b1],
                "scale1": s1,
                "w2": [[float(x) for x in r] for r in mlp.w2],
                "b2": [float(x) for x in mlp.b2],
                "floor": mlp.floor,
            }
        header.update(
            format=FORMAT,
            feature_version=FEATURE_VERSION,
            n=len(k),
            bias=[float(b) for b in biases],
            scale=scales,
        )
        body = k.tobytes() + b"".join(blobs)
        if not header.get("version"):
            header["version"] = hashlib.sha256(body).hexdigest()[:12]
        hb = json.dumps(header, sort_keys=True).encode("utf-8")
        return MAGIC + struct.pack("<I", len(hb)) + hb + body

    # ----------------------------------------------------------------------- inference
    def _rows_of(self, hashes: Iterable[int]) -> tuple[int, ...]:
        get = self._row.get
        n = self._n
        return tuple([get(h, n) for h in hashes])

    def _word(self, word: str) -> tuple[tuple[int, ...], int, int]:
        got = self._word_rows.get(word)
        if got is None:
            hashes, key = word_entry(word)
            got = (self._rows_of(hashes), len(hashes), key)
            if len(self._word_rows) >= _CACHE_LIMIT:
                self._word_rows.clear()
            self._word_rows[word] = got
        return got

    def _features(
        self, text: str, signals: Iterable[int]
    ) -> tuple[list[int], tuple[int, ...], float, list[str]]:
        """Rows of the text's features (a multiset), rows of the signals, the norm, the words.

        The hot path of the layer: memo look-ups are inlined (no call per word or pair), and
        a pair's feature is mixed from the two words' memoised keys (no hashing of strings).
        """
        ws = words(text)
        word_rows = self._word_rows
        seen: set[str] = set()
        rows: list[int] = []
        keys: list[int] = []
        n_text = 0
        for w in ws:
            got = word_rows.get(w)
            if got is None:
                got = self._word(w)
            keys.append(got[2])
            if w in seen:
                continue
            seen.add(w)
            rows.extend(got[0])
            n_text += got[1]
        # pair_of() inlined: the same mix, without a call per pair
        pairs = {
            ((h := ((a * 0x9E3779B1) ^ (b + 0x7F4A7C15)) & 0xFFFFFFFF) ^ (h >> 15)) & _PAIR_MASK
            for a, b in pairwise(keys)
        }
        row = self._row.get
        n = self._n
        rows.extend([row(h, n) for h in pairs])
        n_text += len(pairs)
        norm = 1.0 / math.sqrt(n_text) if n_text else 0.0
        return rows, self._rows_of(signals), norm, ws

    def _linear(self, k: int, rows: Sequence[int], sig: Sequence[int], norm: float) -> float:
        get = self.weights[k].__getitem__
        return self.bias[k] + self.scale[k] * (sum(map(get, rows)) * norm + sum(map(get, sig)))

    def _units(self, rows: Sequence[int]) -> tuple[array[int], int]:
        """Per hidden unit, the sum of the rows' stored weights (+128 each); how many rows.

        One addition of big integers per row: each row is packed once (memoised) into an
        int with a 32-bit field per unit, so the fields add without carrying into each
        other (a row adds at most 255 to a field).
        """
        n = self._n
        count = len(rows) - rows.count(n)
        vals = array("I")
        if count:
            total = sum(map(self._packed.__getitem__, rows))
            vals.frombytes(total.to_bytes(4 * self.hidden, "little"))
        return vals, count

    def _hidden(self, rows: Sequence[int], sig: Sequence[int], norm: float) -> list[float]:
        """The hidden layer's activations (ReLU) for a draft's feature rows."""
        vals, count = self._units(rows)
        if count:
            off = 128 * count
            pre = [
                (v - off) * s * norm + b for v, s, b in zip(vals, self._s1, self._b1, strict=True)
            ]
        else:
            pre = list(self._b1)
        if sig:
            extra, count = self._units(sig)
            if count:
                off = 128 * count
                pre = [p + (v - off) * s for p, v, s in zip(pre, extra, self._s1, strict=True)]
        return [x if x > 0.0 else 0.0 for x in pre]

    def _blend(self, k: int, z: float, act: list[float]) -> float:
        """The head's linear logit plus the network's output for it."""
        i = self._mlp_out[k]
        return z + self._b2[i] + sum(map(operator.mul, act, self._w2[i]))

    def _logit(
        self,
        k: int,
        rows: Sequence[int],
        sig: Sequence[int],
        norm: float,
        act: list[float] | None = None,
    ) -> float:
        """Head ``k``'s logit: linear, plus the network's output unless the linear part is
        under ``mlp_floor`` (a draft no network output seen in training lifts to advice)."""
        z = self._linear(k, rows, sig, norm)
        if k in self._mlp_out and z >= self._floor:
            z = self._blend(k, z, act if act is not None else self._hidden(rows, sig, norm))
        return z

    def _all_logits(self, rows: Sequence[int], sig: Sequence[int], norm: float) -> list[float]:
        return [self._logit(k, rows, sig, norm) for k in range(len(self.heads))]

    def logits(self, text: str, signals: Iterable[int]) -> tuple[list[float], list[str]]:
        """Raw scores for every head, and the draft's words."""
        rows, sig, norm, ws = self._features(text, signals)
        return self._all_logits(rows, sig, norm), ws

    def logits_hashes(self, text: Sequence[int], signals: Iterable[int]) -> list[float]:
        """Raw scores from already-hashed features (training vectors, calibration)."""
        rows = list(self._rows_of(text))
        sig = self._rows_of(signals)
        norm = 1.0 / math.sqrt(len(text)) if text else 0.0
        return self._all_logits(rows, sig, norm)

    def probs_hashes(self, text: Sequence[int], signals: Iterable[int]) -> dict[str, float]:
        """Probabilities per head from hashed features."""
        z = self.logits_hashes(text, signals)
        return {h: _sigmoid(v) for h, v in zip(self.heads, z, strict=True)}

    def score(self, text: str, signals: Iterable[int], *, lazy_below: float = -1.0) -> Scores:
        """Probabilities per head.

        With ``lazy_below`` the ``risky`` head is scored first and, when it is under that
        value (most drafts), the other heads are skipped: they only matter for a draft the
        model is about to flag. This keeps an ordinary tweet to one weighted sum.
        """
        rows, sig, norm, ws = self._features(text, signals)
        p = _sigmoid(self._logit(0, rows, sig, norm))
        if p < lazy_below:
            return Scores({self.heads[0]: p}, ws)
        probs = {self.heads[0]: p}
        for k in range(1, len(self.heads)):
            probs[self.heads[k]] = _sigmoid(self._logit(k, rows, sig, norm))
        return Scores(probs, ws)

    def word_weights(self, ws: Sequence[str], head: str) -> list[float]:
        """Each word's share of ``head``'s text score (its own features + half of each pair)."""
        k = self.heads.index(head)
        get = self.weights[k].__getitem__
        share = [float(sum(map(get, self._word(w)[0]))) for w in ws]
        for i in range(len(ws) - 1):
            (r,) = self._rows_of((pair_hash(ws[i], ws[i + 1]),))
            half = get(r) / 2
            share[i] += half
            share[i + 1] += half
        return share


# --------------------------------------------------------------------------- the decision
SEVERITY_RANK = {"ok": 0, "advise": 1, "needs_approval": 2, "do_not_post": 3}


#: Categories in which the model may ask for ``do_not_post``: the protocol's "serious legal,
#: confidentiality or safeguarding risk". Never a rumour, a jibe or a sensitive-event post
#: (a threat no rule lists still goes for approval; the threat rules block it themselves).
BLOCK_CATEGORIES = frozenset({"legal", "confidentiality", "safeguarding"})


def judge(
    probs: dict[str, float],
    thresholds: dict[str, Any],
    rules_decision: str,
    rules_categories: Iterable[str],
) -> list[tuple[str, str, float]]:
    """What the model adds: ``(category, severity, confidence)`` per new finding.

    Shared by the runtime layer and the calibration in the training script, so the
    thresholds are chosen for exactly the decision that runs. Three bands on the risky
    head: at or above the draft's category threshold (``risky_by_category``, else
    ``risky``) the model asks for approval; in the band from ``advise`` up to it, it only
    advises the author (the model is unsure, so it costs nobody's approval time); below,
    nothing. ``do_not_post`` needs the block head's threshold too AND a category the
    protocol blocks in (:data:`BLOCK_CATEGORIES`). A finding is added when the decision
    rises or the category is one the rules did not name.
    """
    p_risky = probs.get("risky", 0.0)
    t_base = float(thresholds.get("risky", 1.1))
    t_advise = min(float(thresholds.get("advise", t_base)), t_base)
    if p_risky < t_advise:
        return []
    cats = sorted(((probs.get(c, 0.0), c) for c in CATEGORY_HEADS if c in probs), reverse=True)
    if not cats:
        return []
    _, top = cats[0]
    by_cat: dict[str, float] = thresholds.get("risky_by_category", {})
    t_approve = max(t_base, float(by_cat.get(top, t_base)))
    named = set(rules_categories)
    rank = SEVERITY_RANK.get(rules_decision, 0)
    if p_risky < t_approve:
        # the advice band: only where the rules did not already ask for approval
        if rank >= SEVERITY_RANK["needs_approval"] or (rank >= 1 and top in named):
            return []
        return [(top, "advise", p_risky)]
    severity = "needs_approval"
    if top in BLOCK_CATEGORIES and probs.get("block", 0.0) >= float(thresholds.get("block", 1.1)):
        severity = "do_not_post"
    out: list[tuple[str, str, float]] = []
    per_cat: dict[str, float] = thresholds.get("category", {})
    if SEVERITY_RANK[severity] > rank or top not in named:
        out.append((top, severity, p_risky))
    for p, c in cats[1:3]:
        if p >= float(per_cat.get(c, 1.1)) and c not in named:
            out.append((c, "needs_approval" if severity == "do_not_post" else severity, p_risky))
    return out
