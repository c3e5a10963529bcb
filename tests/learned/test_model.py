"""The shipped model file: format, refusal of corrupt or old files, parity with training."""

from __future__ import annotations

import json
import math
import struct

import pytest

from bot.learned import live
from bot.learned.dataset import load_examples
from bot.learned.features import draft_features, text_hashes
from bot.learned.model import LinearModel, Mlp, ModelFormatError, judge


def _shipped_bytes() -> bytes:
    return live.SHIPPED_PATH.read_bytes()


def test_shipped_model_loads_and_names_its_heads() -> None:
    m = live.shipped_model()
    assert m.heads[:2] == ("risky", "block")
    assert "conflict" in m.heads and len(m.heads) == 12
    assert 0 < m.thresholds["risky"] < 1
    assert m.version and len(m.version) == 12


def test_build_and_parse_round_trip_scores_the_same() -> None:
    keys = sorted(set(text_hashes("torch the place")))
    blob = LinearModel.build(
        {"heads": ["risky", "block"], "thresholds": {"risky": 0.5}},
        keys,
        [[1.0] * len(keys), [-0.5] * len(keys)],
        [-1.0, 0.0],
    )
    m = LinearModel.from_bytes(blob)
    text, _ = draft_features("torch the place", [], "ok")
    by_text = m.score("torch the place", []).probs
    by_hash = m.probs_hashes(text, [])
    assert by_text == pytest.approx(by_hash)
    assert by_text["risky"] > 0.5 > m.score("hello there", []).probs["risky"]


@pytest.mark.parametrize(
    "mangle, why",
    [
        (lambda b: b"XXXX" + b[4:], "bad magic"),
        (lambda b: b[:-7], "truncated"),
        (lambda b: b[:8] + b"{not json" + b[17:], "corrupt"),
    ],
)
def test_corrupt_files_are_refused(mangle: object, why: str) -> None:
    with pytest.raises(ModelFormatError, match=why):
        LinearModel.from_bytes(mangle(_shipped_bytes()))  # type: ignore[operator]


def test_an_old_format_is_refused_by_name() -> None:
    blob = _shipped_bytes()
    (hlen,) = struct.unpack_from("<I", blob, 4)
    header = json.loads(blob[8 : 8 + hlen])
    header["format"] = 0
    hb = json.dumps(header).encode()
    with pytest.raises(ModelFormatError, match="model format 0"):
        LinearModel.from_bytes(blob[:4] + struct.pack("<I", len(hb)) + hb + blob[8 + hlen :])


def test_training_vectors_carry_no_text_and_match_the_model() -> None:
    examples, meta = load_examples(live.VECTORS_PATH)
    assert len(examples) > 2000 and {"train", "cal"} == {e.split for e in examples}
    raw = live.VECTORS_PATH.read_bytes()
    assert b"torch" not in raw and b"patient" not in raw  # hashed, and compressed
    assert meta["counts"]["drafts"] == len(examples)  # type: ignore[index]


def test_judge_raises_but_needs_confidence() -> None:
    th = {"risky": 0.7, "block": 0.9, "category": {}}
    probs = {"risky": 0.95, "block": 0.2, "conflict": 0.8, "legal": 0.1}
    assert judge(probs, th, "ok", []) == [("conflict", "needs_approval", 0.95)]
    # a confident block head blocks only in a category the protocol blocks in
    assert judge({**probs, "block": 0.95}, th, "ok", [])[0][1] == "needs_approval"
    legal = {**probs, "block": 0.95, "conflict": 0.1, "legal": 0.8}
    assert judge(legal, th, "ok", [])[0][:2] == ("legal", "do_not_post")
    assert judge({**probs, "risky": 0.5}, th, "ok", []) == []
    # the rules already asked for approval in this category: nothing to add
    assert judge(probs, th, "needs_approval", ["conflict"]) == []


@pytest.mark.parametrize(
    "text",
    [
        "the the film film shoot at the park",
        "Call 0161 555 0101 or 0300 123 4567 now!!",
        "Shooting stars & mince pies: don't miss it, co-op £5 10%",
        "x",
        "",
    ],
)
def test_runtime_features_match_training_features(text: str) -> None:
    """The scorer's inlined pair mix equals text_hashes (training) on repeats and digits."""
    keys = sorted(set(text_hashes(text))) or [1]
    weights = [float((k * 7919) % 13 - 6) for k in keys]
    m = LinearModel.from_bytes(
        LinearModel.build({"heads": ["risky", "block"]}, keys, [weights, weights], [0.0, 0.0])
    )
    assert m.score(text, []).probs == pytest.approx(m.probs_hashes(text_hashes(text), []))


def _net_model(floor: float | None = None) -> tuple[LinearModel, list[int]]:
    """A small model with a 4-unit hidden layer over every feature of two drafts."""
    keys = sorted(set(text_hashes("torch the place with them in it")) | set(text_hashes("hi")))
    w1 = [[((k * (j + 3)) % 11 - 5) / 5.0 for j in range(4)] for k in keys]
    net = Mlp(("risky",), w1, [0.1, -0.2, 0.3, 0.0], [[1.5, -0.5, 2.0, 1.0]], [-0.7], floor)
    blob = LinearModel.build(
        {"heads": ["risky", "block"]},
        keys,
        [[0.2] * len(keys), [0.0] * len(keys)],
        [-1.0, 0.0],
        net,
    )
    return LinearModel.from_bytes(blob), keys


def test_the_hidden_layer_adds_the_networks_output_to_the_risky_logit() -> None:
    """Packed big-integer sums equal the plain arithmetic on the stored int8 weights."""
    m, keys = _net_model()
    assert m.hidden == 4
    text = "torch the place with them in it, torch it"
    hashes = text_hashes(text)
    norm = 1 / len(hashes) ** 0.5
    row = {k: i for i, k in enumerate(keys)}
    raw = m.header["mlp"]
    q = [
        [m._hrows[row[h] * 4 + j] - 128 for j in range(4)]  # type: ignore[index]
        for h in hashes
        if h in row
    ]
    pre = [sum(r[j] for r in q) * raw["scale1"][j] * norm + raw["b1"][j] for j in range(4)]
    net = raw["b2"][0] + sum(max(0.0, p) * w for p, w in zip(pre, raw["w2"][0], strict=True))
    linear = -1.0 + m.scale[0] * round(0.2 / m.scale[0]) * sum(h in row for h in hashes) * norm
    want = 1 / (1 + math.exp(-(linear + net)))
    assert m.probs_hashes(hashes, [])["risky"] == pytest.approx(want, rel=1e-9)
    assert m.score(text, []).probs["risky"] == pytest.approx(want, rel=1e-9)
    assert m.probs_hashes(hashes, [])["block"] == pytest.approx(0.5)  # linear only


def test_the_network_is_skipped_under_its_floor() -> None:
    on, _ = _net_model()
    off, _ = _net_model(floor=10.0)  # every draft is under it
    text = "torch the place with them in it"
    z = -1.0 + off.scale[0] * round(0.2 / off.scale[0]) * len(set(text_hashes(text))) ** 0.5
    assert off.score(text, []).probs["risky"] == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-6)
    assert on.score(text, []).probs["risky"] != pytest.approx(off.score(text, []).probs["risky"])


def test_a_model_missing_its_hidden_rows_is_refused() -> None:
    m, _ = _net_model()
    blob = LinearModel.build(
        m.header,
        list(m.keys),
        [[0.0] * len(m.keys)] * 2,
        [0.0, 0.0],
        Mlp(("risky",), [[0.5] * 4] * len(m.keys), [0.0] * 4, [[1.0] * 4], [0.0]),
    )
    with pytest.raises(ModelFormatError, match="truncated"):
        LinearModel.from_bytes(blob[: -len(m.keys)])


def test_format_one_is_read_without_a_hidden_layer_only() -> None:
    m, _ = _net_model()
    blob = LinearModel.build(dict(m.header), list(m.keys), [[0.1] * len(m.keys)] * 2, [0.0, 0.0])
    (hlen,) = struct.unpack_from("<I", blob, 4)
    header = json.loads(blob[8 : 8 + hlen])
    header["format"] = 1
    hb = json.dumps(header).encode()
    assert LinearModel.from_bytes(blob[:4] + struct.pack("<I", len(hb)) + hb + blob[8 + hlen :])
    header["mlp"] = m.header["mlp"]
    hb = json.dumps(header).encode()
    with pytest.raises(ModelFormatError, match="model format 1"):
        LinearModel.from_bytes(blob[:4] + struct.pack("<I", len(hb)) + hb + blob[8 + hlen :])
