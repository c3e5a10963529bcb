"""Train the shipped offensive-language model (bot/detectors/data/offensive_model.json.gz).

Why a script and not a notebook: the weights, thresholds and model card must be reproducible
from the public corpora in ../shared with one command:

    python scripts/train_offensive.py [--data /work/shared/data/public] [--eval /work/shared/eval/dev.jsonl]

Protocol (no peeking): fit on OLID *train* (+ optionally HatEval *train* positives), pick C
and the feature variant by OLID *val* ROC AUC, choose thresholds on OLID *val* with fixed
rules, then measure once on OLID *test*, corporate "Information" tweets and dev.jsonl "ok"
drafts. The runtime tokenizer is imported from the package, so features match exactly.
scikit-learn, numpy and alt-profanity-check are needed here only, never at runtime.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.metadata
import json
import math
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.detectors.offensive import (  # noqa: E402  (needs the sys.path tweak above)
    OffensiveModel,
    Tokenizer,
    features,
)

OUT_MODEL = ROOT / "bot/detectors/data/offensive_model.json.gz"
OUT_CARD = ROOT / "bot/detectors/data/OFFENSIVE_MODEL.md"

ADVISE_VAL_RECALL = 0.80  # advise: highest threshold keeping >= 80% recall on OLID val
APPROVAL_VAL_FPR = (
    0.02  # needs_approval: lowest threshold with <= 2% of OLID val non-offensive above
)
PRUNE = 0.02  # drop |weight| below this (size; val AUC impact is reported)
PC_SCALE = 0.1  # scale of the alt-profanity-check prior feature before LR


# ----------------------------------------------------------------------------- data loading
def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def read_split(folder: Path, split: str) -> tuple[list[str], np.ndarray]:
    texts = read_lines(folder / f"{split}_text.txt")
    labels = np.array([int(x) for x in read_lines(folder / f"{split}_labels.txt")])
    assert len(texts) == len(labels), (folder, split)
    return texts, labels


def read_corporate(path: Path) -> list[str]:
    """Corporate "Information" tweets: ordinary company announcements (false-alarm check)."""
    with path.open(encoding="cp1252", errors="replace", newline="") as fh:
        return [r["text"] for r in csv.DictReader(fh) if r["category"] == "Information"]


def read_dev_ok(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows if r.get("expected") == "ok"]


def read_davidson(path: Path) -> tuple[list[str], np.ndarray]:
    """Davidson et al.: class 0 hate / 1 offensive / 2 neither -> 1 = hate or offensive."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["tweet"] for r in rows], np.array([int(r["class"] != "2") for r in rows])


def source_lines(folder: Path) -> list[str]:
    """ORIGIN/LICENCE lines of a corpus' SOURCE.txt, quoted in the model card."""
    src = folder / "SOURCE.txt"
    if not src.exists():
        return []
    return [ln.strip() for ln in read_lines(src) if ln.startswith(("ORIGIN", "LICENCE"))]


# ----------------------------------------------------------------------------- lexicon
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def profanity_check_coefs() -> dict[str, float]:
    """Mean LinearSVC coefficient per word of alt-profanity-check (a teacher prior)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from profanity_check import profanity_check as pc

    coef = np.mean([c.estimator.coef_[0] for c in pc.model.calibrated_classifiers_], axis=0)
    return {w: float(coef[i]) for w, i in pc.vectorizer.vocabulary_.items()}


def build_lexicon(texts: Sequence[str], extra: Sequence[str]) -> list[str]:
    """Known words for leet/elongation repair: frequent clean train words + teacher vocab."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_WORD_RE.findall(text.lower().replace("’", "'")))
    run = re.compile(r"(.)\1\1")
    words = {w for w, n in counts.items() if n >= 2 and not run.search(w)}
    words.update(w for w in extra if _WORD_RE.fullmatch(w) and not run.search(w))
    return sorted(words)


# ----------------------------------------------------------------------------- features
class Featurizer:
    """Uni+bigram count matrix plus an optional teacher column (sum of teacher coefs)."""

    def __init__(self, tok: Tokenizer, prior: dict[str, float] | None) -> None:
        self.tok = tok
        self.prior = prior
        self.vec = CountVectorizer(analyzer=self._analyze, min_df=2)

    def _analyze(self, text: str) -> list[str]:
        return features(self.tok.tokens(text))

    def _prior_col(self, texts: Sequence[str]) -> sparse.csr_matrix:
        assert self.prior is not None
        vals = [sum(self.prior.get(t, 0.0) for t in self.tok.tokens(x)) for x in texts]
        return sparse.csr_matrix(np.array(vals, dtype=float).reshape(-1, 1) * PC_SCALE)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        x = self.vec.fit_transform(texts)
        return sparse.hstack([x, self._prior_col(texts)]).tocsr() if self.prior else x

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        x = self.vec.transform(texts)
        return sparse.hstack([x, self._prior_col(texts)]).tocsr() if self.prior else x

    def export(self, clf: LogisticRegression) -> tuple[dict[str, float], float]:
        """Fold everything into one feature->weight dict (teacher prior merged per word)."""
        coef = clf.coef_[0]
        names = self.vec.get_feature_names_out()
        weights = {str(n): float(w) for n, w in zip(names, coef[: len(names)], strict=True)}
        if self.prior:
            alpha = float(coef[-1]) * PC_SCALE
            for word, c in self.prior.items():
                weights[word] = weights.get(word, 0.0) + alpha * c
        return weights, float(clf.intercept_[0])


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=2000)
    return clf.fit(x, y)


# ----------------------------------------------------------------------------- thresholds/eval
def advise_threshold(scores: np.ndarray, y: np.ndarray, recall: float) -> float:
    pos = np.sort(scores[y == 1])[::-1]
    k = int(np.ceil(recall * len(pos))) - 1
    return float(pos[k])


def approval_threshold(scores: np.ndarray, y: np.ndarray, fpr: float) -> float:
    neg = np.sort(scores[y == 0])[::-1]
    k = int(np.floor(fpr * len(neg)))  # at most k negatives strictly above the threshold
    return float(neg[k]) + 1e-6


def rate(scores: Sequence[float] | np.ndarray, thr: float) -> float:
    arr = np.asarray(scores)
    return float(np.mean(arr >= thr)) if len(arr) else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/public"))
    ap.add_argument("--eval", type=Path, default=Path("/work/shared/eval/dev.jsonl"))
    ap.add_argument(
        "--hate",
        choices=["none", "positives", "all"],
        default=None,
        help="use HatEval train (default: chosen on OLID val)",
    )
    ap.add_argument("--no-write", action="store_true", help="report only, keep shipped files")
    args = ap.parse_args(argv)
    olid_dir, hate_dir = args.data / "tweeteval_offensive", args.data / "tweeteval_hate"

    tr_x, tr_y = read_split(olid_dir, "train")
    va_x, va_y = read_split(olid_dir, "val")
    ha_x, ha_y = read_split(hate_dir, "train")
    prior_all = profanity_check_coefs()
    lexicon = build_lexicon(tr_x + ha_x, list(prior_all))
    tok = Tokenizer(lexicon)
    print(f"lexicon: {len(lexicon)} words", flush=True)

    # ---- model selection on OLID val (train-only fits)
    def train_set(hate: str) -> tuple[list[str], np.ndarray]:
        if hate == "all":
            return tr_x + ha_x, np.concatenate([tr_y, ha_y])
        if hate == "positives":
            pos = [t for t, lab in zip(ha_x, ha_y, strict=True) if lab == 1]
            return tr_x + pos, np.concatenate([tr_y, np.ones(len(pos), dtype=int)])
        return tr_x, tr_y

    grid: list[dict[str, Any]] = []
    hate_opts = [args.hate] if args.hate else ["none", "positives", "all"]
    for hate in hate_opts:
        x_txt, y = train_set(hate)
        for prior_name, prior in (("none", None), ("pc", prior_all)):
            feat = Featurizer(tok, prior)
            xtr, xva = feat.fit_transform(x_txt), feat.transform(va_x)
            for c in (0.01, 0.02, 0.03, 0.05, 0.1, 0.2):
                auc = roc_auc_score(va_y, fit(xtr, y, c).decision_function(xva))
                grid.append({"hate": hate, "prior": prior_name, "C": c, "val_auc": auc})
                print(
                    f"  hate={hate:9s} prior={prior_name:4s} C={c:<5} val AUC={auc:.4f}", flush=True
                )
    best = max(grid, key=lambda g: g["val_auc"])
    print("selected:", best, flush=True)

    # ---- final fit (train splits only) and export
    x_txt, y = train_set(best["hate"])
    feat = Featurizer(tok, prior_all if best["prior"] == "pc" else None)
    clf = fit(feat.fit_transform(x_txt), y, best["C"])
    weights, bias = feat.export(clf)
    n_before = len(weights)
    weights = {k: round(w, 4) for k, w in weights.items() if abs(w) >= PRUNE}
    # The whole lexicon ships: a subset could change which elongation repair wins.
    model = OffensiveModel(weights, bias, lexicon, {})
    va_s = np.array([model.score(t) for t in va_x])
    # The pure-Python runtime must reproduce sklearn exactly before pruning/rounding.
    unpruned = OffensiveModel(feat.export(clf)[0], bias, lexicon, {})
    sk_logit = clf.decision_function(feat.transform(va_x))
    drift = float(np.max(np.abs(sk_logit - [unpruned.logit(t) for t in va_x])))
    assert drift < 1e-6, f"runtime/training feature mismatch: {drift}"
    va_auc_unpruned = roc_auc_score(va_y, sk_logit)
    va_auc = roc_auc_score(va_y, va_s)
    thresholds = {  # rounded to 4 places in the direction that keeps each rule satisfied
        "advise": math.floor(advise_threshold(va_s, va_y, ADVISE_VAL_RECALL) * 1e4) / 1e4,
        "needs_approval": math.ceil(approval_threshold(va_s, va_y, APPROVAL_VAL_FPR) * 1e4) / 1e4,
    }
    model.thresholds = thresholds
    print(
        f"weights {n_before} -> {len(weights)} after prune; val AUC {va_auc_unpruned:.4f} -> {va_auc:.4f}"
    )
    print("thresholds (val):", thresholds, flush=True)

    # ---- evaluation (test / held-out only)
    te_x, te_y = read_split(olid_dir, "test")
    te_s = np.array([model.score(t) for t in te_x])
    corp = [
        model.score(t)
        for t in read_corporate(args.data / "corporate_messaging/Corporate-messaging-DFE.csv")
    ]
    dev_ok = [model.score(t) for t in read_dev_ok(args.eval)] if args.eval.exists() else []
    dav_path = args.data / "davidson_offensive/labeled_data.csv"
    dav = read_davidson(dav_path) if dav_path.exists() else None
    hte_x, hte_y = read_split(hate_dir, "test")
    hte_s = np.array([model.score(t) for t in hte_x])
    table = []
    named = {v: k for k, v in thresholds.items()}
    for thr in sorted({*thresholds.values(), 0.2, 0.25, 0.3, 0.4, 0.5, 0.8}):
        table.append(
            {
                "threshold": thr,
                "name": named.get(thr, ""),
                "val_offensive": rate(va_s[va_y == 1], thr),
                "val_not_offensive": rate(va_s[va_y == 0], thr),
                "test_offensive": rate(te_s[te_y == 1], thr),
                "test_not_offensive": rate(te_s[te_y == 0], thr),
                "corporate_information": rate(corp, thr),
                "dev_ok_count": int(sum(s >= thr for s in dev_ok)),
            }
        )
    dav_auc = None
    if dav:
        dav_auc = roc_auc_score(dav[1], [model.score(t) for t in dav[0]])
    metrics = {
        "test_auc": roc_auc_score(te_y, te_s),
        "val_auc": va_auc,
        "hateval_test_auc": roc_auc_score(hte_y, hte_s),
        "davidson_auc": dav_auc,
        "n": {
            "train": len(x_txt),
            "val": len(va_x),
            "test": len(te_x),
            "test_pos": int(te_y.sum()),
            "corporate_information": len(corp),
            "dev_ok": len(dev_ok),
        },
        "table": table,
    }
    print(json.dumps(metrics, indent=1))

    meta = {
        "trained": time.strftime("%Y-%m-%d"),
        "bias": round(bias, 4),
        "selection": best,
        "prune": PRUNE,
        "features": len(weights),
        "val_auc": round(va_auc, 4),
        "test_auc": round(metrics["test_auc"], 4),
    }
    if args.no_write:
        return 0
    payload = {
        "version": 1,
        "bias": round(bias, 4),
        "thresholds": thresholds,
        "meta": meta,
        "lexicon": lexicon,
        "weights": dict(sorted(weights.items())),
    }
    OUT_MODEL.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT_MODEL, "wb", mtime=0) as fh:
        fh.write(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    print(f"wrote {OUT_MODEL} ({OUT_MODEL.stat().st_size / 1e6:.2f} MB)")
    OUT_CARD.write_text(
        render_card(args, best, grid, metrics, meta, thresholds, n_before, va_auc_unpruned)
    )
    print(f"wrote {OUT_CARD}")
    return 0


def render_card(
    args: argparse.Namespace,
    best: dict[str, Any],
    grid: list[dict[str, Any]],
    metrics: dict[str, Any],
    meta: dict[str, Any],
    thresholds: dict[str, float],
    n_before: int,
    va_auc_unpruned: float,
) -> str:
    d = args.data
    pc_version = importlib.metadata.version("alt-profanity-check")

    def src(name: str) -> str:
        return "\n".join(f"  - `{ln}`" for ln in source_lines(d / name)) or "  - (no SOURCE.txt)"

    pct = "{:.1%}".format
    rows = "\n".join(
        f"| {r['threshold']:.4f} {r['name']} | {pct(r['test_offensive'])} | {pct(r['test_not_offensive'])} "
        f"| {pct(r['corporate_information'])} | {r['dev_ok_count']} / {metrics['n']['dev_ok']} "
        f"| {pct(r['val_offensive'])} | {pct(r['val_not_offensive'])} |"
        for r in metrics["table"]
    )
    sel = "\n".join(f"| {g['hate']} | {g['prior']} | {g['C']} | {g['val_auc']:.4f} |" for g in grid)
    return f"""# Offensive-language model (`bot/detectors/offensive.py`)

Generated by `scripts/train_offensive.py` on {meta["trained"]}; numbers below are copied from that run.

## What it is and why

A logistic regression over **word unigram + bigram counts**, exported as a plain
`feature -> weight` dict (`offensive_model.json.gz`). Scoring a draft is `str.split()`, dict
look-ups and a sigmoid in pure Python (no scikit-learn/numpy at runtime): each whitespace
chunk's tokens and inner weights are memoised, so only cross-chunk bigrams are looked up per
call. That keeps a tweet-length draft around 10 µs, inside the ≥ 5,000 drafts/s budget. It is one signal among others: hand-written lexicons
elsewhere cover slurs/threats this model has not seen.

* **Tokenizer** (`Tokenizer` in the runtime module, imported by the training script so the two
  cannot drift): lowercase; drop URLs, `@mentions` and tokens without letters; keep `'`
  inside words; repair light leetspeak (`sh1t`, `a$$`) and elongations (`stupiddd`, `fuuuck`)
  only when the repaired form is in the shipped lexicon; a few emoji blocks are tokens.
* **Teacher prior**: alt-profanity-check's LinearSVC word coefficients are fed to the LR as
  one extra feature (sum over the draft's words, ×{PC_SCALE}); its learned weight is folded into
  the per-word weights at export, so the runtime only sees one dict. This lends vocabulary
  that OLID lacks (the package itself is *not* imported at runtime). Used in this build:
  **{best["prior"]}**.
* **Training data** (train splits only): OLID train ({metrics["n"]["train"]} texts incl.
  HatEval option **{best["hate"]}**). C = **{best["C"]}** (liblinear, L2).
* **Size**: {meta["features"]} weights (from {n_before}; |w| < {PRUNE} pruned; val AUC
  {va_auc_unpruned:.4f} → {metrics["val_auc"]:.4f}) plus the repair lexicon.

## Data provenance (read in place from `{d}`; nothing copied into the repo)

* `tweeteval_offensive/train_*` — training; `val_*` — model selection + thresholds;
  `test_*` — evaluation only.
{src("tweeteval_offensive")}
* `tweeteval_hate/train_*` — training candidate (HatEval); `test_*` — evaluation only.
{src("tweeteval_hate")}
* `corporate_messaging/Corporate-messaging-DFE.csv` — false-alarm check only (category
  Information, {metrics["n"]["corporate_information"]} tweets).
{src("corporate_messaging")}
* `davidson_offensive/labeled_data.csv` — evaluation only (hate+offensive vs neither).
{src("davidson_offensive")}
* `/work/shared/eval/dev.jsonl` — the {metrics["n"]["dev_ok"]} drafts with `"expected": "ok"`, false-alarm check only.
* alt-profanity-check {pc_version} (pip package, MIT licence; trained by its authors on Davidson et al. +
  Jigsaw Wikipedia comments) — its shipped coefficients as a training-time prior.

## Training command

```
source .venv/bin/activate
python scripts/train_offensive.py --data {d} --eval {args.eval}
```

## Thresholds (chosen on OLID **val** by fixed rules; no choice was made on test numbers)

| name | value | rule |
|---|---|---|
| `advise` | {thresholds["advise"]} | highest score keeping ≥ {ADVISE_VAL_RECALL:.0%} recall on OLID val offensive |
| `needs_approval` | {thresholds["needs_approval"]} | lowest score with ≤ {APPROVAL_VAL_FPR:.0%} of OLID val non-offensive above |

## Metrics (TEST splits; val columns for reference only)

ROC AUC — OLID test: **{metrics["test_auc"]:.4f}** (n={metrics["n"]["test"]}, {metrics["n"]["test_pos"]} offensive);
HatEval test: {metrics["hateval_test_auc"]:.4f} (hate against immigrants/women ≠ OLID "offensive"; its
non-hate class is full of profanity, and its test set is known to be shifted);
Davidson (all rows): {metrics["davidson_auc"] or float("nan"):.4f} — **not** a clean held-out figure, because the
alt-profanity-check teacher was trained on Davidson.

Share of texts with score ≥ threshold (product goal, reached together with the hand-written
lexicons: ≥ 80% of OLID offensive non-ok; ≤ 3% of corporate Information at needs_approval+):

| threshold | OLID test offensive | OLID test not-offensive | corporate Information | dev.jsonl ok drafts | OLID val offensive | OLID val not-off. |
|---|---|---|---|---|---|---|
{rows}

## Model selection grid (OLID val ROC AUC; train-only fits)

| HatEval train | prior | C | val AUC |
|---|---|---|---|
{sel}

## Limitations

* Bag of words: no negation or target awareness ("not stupid", quoting abuse to condemn it).
* OLID is 2019 US political Twitter; topical words (e.g. partisan hashtags) carry some
  weight, so scores on political drafts run higher than on corporate announcements.
* Scores are calibrated to OLID's ~33% offensive base rate, not to real draft traffic; a
  text with no known words scores sigmoid(bias) ≈ {1 / (1 + math.exp(-meta["bias"])):.2f}, just under `advise`.
* Masked profanity (`f*ck`) is not repaired and rare emoji carry no weight: leave those to
  the lexicons. Function words such as "a"/"is" carry small positive weights ("is a ...").
"""


if __name__ == "__main__":
    raise SystemExit(main())
