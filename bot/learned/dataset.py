"""Labelled training vectors: hashed features + labels, no text.

The shipped model's training set travels inside the wheel in this form
(``data/train_vectors.bin.gz``) so ``canipost model train`` can refit the organisation's
model from a normal install, on the shipped examples plus its own feedback, without any
corpus text in the package.
"""

from __future__ import annotations

import gzip
import json
import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.learned.model import CATEGORY_HEADS, SEVERITY_RANK

__all__ = ["Example", "dump_examples", "labels_for", "load_examples"]

_MAGIC = b"CPLV"
_VERSION = 1
SPLITS = ("train", "cal")


@dataclass(slots=True)
class Example:
    """One labelled draft as features: what the model sees, and what it should say."""

    text: list[int]
    signals: list[int]
    decision: str
    categories: list[str] = field(default_factory=list)
    split: str = "train"
    weight: float = 1.0
    source: str = ""
    #: The rules' own decision and categories on this draft (for calibrating the
    #: combined decision); the signal hashes carry the same information for the model.
    rules_decision: str = "ok"
    rules_categories: list[str] = field(default_factory=list)


def labels_for(decision: str, categories: Iterable[str]) -> dict[str, int]:
    """The head targets of an example: risky, block and each named category."""
    rank = SEVERITY_RANK[decision]
    cats = set(categories)
    out = {"risky": int(rank >= 2), "block": int(rank == 3)}
    for c in CATEGORY_HEADS:
        out[c] = int(rank >= 1 and c in cats)
    return out


def dump_examples(examples: list[Example], path: Path, meta: dict[str, object]) -> None:
    """Write examples as a gzip'd binary table (uint32 hashes; labels in a small header)."""
    decisions = list(SEVERITY_RANK)
    rows = []
    flat = array("I")
    for e in examples:
        rows.append(
            [
                decisions.index(e.decision),
                sum(1 << CATEGORY_HEADS.index(c) for c in set(e.categories) if c in CATEGORY_HEADS),
                SPLITS.index(e.split),
                round(e.weight, 4),
                len(e.text),
                len(e.signals),
                e.source,
                decisions.index(e.rules_decision),
                sum(
                    1 << CATEGORY_HEADS.index(c)
                    for c in set(e.rules_categories)
                    if c in CATEGORY_HEADS
                ),
            ]
        )
        flat.extend(e.text)
        flat.extend(sorted(e.signals))
    header = json.dumps({"version": _VERSION, "meta": meta, "rows": rows}).encode("utf-8")
    raw = _MAGIC + struct.pack("<I", len(header)) + header + flat.tobytes()
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def load_examples(path: Path) -> tuple[list[Example], dict[str, object]]:
    """Read what :func:`dump_examples` wrote."""
    blob = gzip.decompress(path.read_bytes())
    if blob[:4] != _MAGIC:
        raise ValueError(f"{path}: not a canipost training-vector file")
    (hlen,) = struct.unpack_from("<I", blob, 4)
    header = json.loads(blob[8 : 8 + hlen].decode("utf-8"))
    if header.get("version") != _VERSION:
        raise ValueError(f"{path}: training vectors of version {header.get('version')!r}")
    flat = array("I")
    flat.frombytes(blob[8 + hlen :])
    decisions = list(SEVERITY_RANK)
    out = []
    pos = 0
    for d, mask, split, weight, nt, ns, source, rd, rmask in header["rows"]:
        text = list(flat[pos : pos + nt])
        pos += nt
        sig = list(flat[pos : pos + ns])
        pos += ns
        cats = [c for i, c in enumerate(CATEGORY_HEADS) if mask >> i & 1]
        rcats = [c for i, c in enumerate(CATEGORY_HEADS) if rmask >> i & 1]
        out.append(
            Example(
                text,
                sig,
                decisions[d],
                cats,
                SPLITS[split],
                float(weight),
                source,
                decisions[rd],
                rcats,
            )
        )
    return out, dict(header.get("meta", {}))
