"""Fitting, calibrating and measuring a learned model from training vectors.

Used by ``scripts/train_learned.py`` (the shipped model) and ``canipost model train`` (the
organisation's model: shipped vectors plus its feedback). scikit-learn
(``LogisticRegression`` for every head, NB-LR and ``MLPClassifier`` for the risky head: see
:class:`Method`) does the fitting; it, numpy and scipy are imported here only, never on the
review path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.learned.dataset import Example, labels_for
from bot.learned.model import (
    CATEGORY_HEADS,
    HEADS_FIXED,
    SEVERITY_RANK,
    LinearModel,
    Mlp,
    judge,
)

__all__ = [
    "BLEND",
    "DEFAULT_METHOD",
    "HEADS",
    "Method",
    "calibrate",
    "combined",
    "fit_model",
    "heldout_measures",
    "measure",
    "measure_alone",
    "predict",
]

HEADS: tuple[str, ...] = HEADS_FIXED + CATEGORY_HEADS

#: Calibration targets on the calibration split (never a reported set).
FALSE_ALARM_TARGET = 0.03  # share of ok drafts sent for approval, rules + model
SOURCE_FALSE_ALARM_TARGET = 0.05  # ... and in each labelled set (look-alikes are hardest)
BLOCK_SLIP_TARGET = 0.01  # share of not-do_not_post drafts the model raises to do_not_post
CATEGORY_PRECISION = 0.85  # an extra category is named only above this precision
BLOCK_PRECISION = 0.6  # ... and at least this share of those raised must be real blocks
ADVICE_TARGET = 0.05  # share of ok drafts (rules silent) the model shows advice on
#: Labelled sets of innocent look-alikes: in these the model may add no approval request
#: at all (no more false alarms than the rules alone), per category.
LOOKALIKE_SOURCES = frozenset({"blind4_tune", "blind6_tune"})


@dataclass(frozen=True, slots=True)
class Method:
    """How the ``risky`` head is fitted (the other heads are always logistic regression).

    Its logit is ``lr * LR + nb * NB-LR + mlp * network``: plain logistic regression, NB-LR
    (logistic regression over features scaled by their naive-Bayes log-count ratio, Wang &
    Manning 2012) and a one-hidden-layer network over the same features. The two linear
    parts fold into one weight vector, so only the network costs anything at run time.
    """

    lr: float = 1.0
    nb: float = 0.0
    mlp: float = 0.0
    hidden: int = 64
    epochs: int = 20
    alpha: float = 1e-4
    seed: int = 0

    @classmethod
    def of(cls, header: dict[str, Any]) -> Method:
        """The method a model was fitted with (its header's ``method``; none: plain LR)."""
        got = header.get("method")
        return cls(**got) if isinstance(got, dict) else cls(lr=1.0, nb=0.0, mlp=0.0)

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


#: The shipped method: plain logistic regression. ``BLEND`` (NB-LR + network) ranks better
#: out of fold grouped by writer and on blind8_tune, but an organisation model fitted with it
#: did not follow the team's feedback in tests/learned/test_siblings.py (mock-trial siblings
#: raised to do_not_post; poisoned feedback not refused): not the default until it does.
DEFAULT_METHOD = Method()
BLEND = Method(lr=0.0, nb=0.5, mlp=0.5)
#: The cascade's floor: the lowest linear logit among training drafts the blend puts at
#: or above FLOOR_P, minus FLOOR_MARGIN (logits). Drafts under it skip the network.
FLOOR_P = 0.3
FLOOR_MARGIN = 1.0
#: The network is fitted on both outputs (shared hidden units); only risky is used.
MLP_OUTPUTS = ("risky", "block")


def _balanced(y: Any, w: Any) -> Any:
    """Sample weights times balanced class weights (both classes weigh half)."""
    import numpy as np

    pos = float((w * y).sum())
    neg = float((w * (1 - y)).sum())
    if not pos or not neg:
        return w
    return w * np.where(y == 1, (pos + neg) / (2 * pos), (pos + neg) / (2 * neg))


def _nb_lr(x: Any, y: Any, w: Any, c: float) -> tuple[Any, float]:
    """NB-LR: weights (already multiplied by the log-count ratios) and bias."""
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    xb = (x > 0).astype(np.float64)
    pos = y == 1
    p = 1.0 + np.asarray(xb[pos].T @ w[pos]).ravel()
    q = 1.0 + np.asarray(xb[~pos].T @ w[~pos]).ravel()
    r = np.log((p / p.sum()) / (q / q.sum()))
    clf = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000)
    clf.fit(x @ sparse.diags(r), y, sample_weight=w)
    return clf.coef_[0] * r, float(clf.intercept_[0])


def _mlp(x: Any, y2: Any, w: Any, method: Method) -> tuple[Any, Any, Any, float]:
    """The network (scikit-learn, Adam, mini-batches of 200): W1, b1, the risky column of
    W2, its bias. Risky's classes are balanced through the sample weights."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(method.hidden,),
        alpha=method.alpha,
        max_iter=method.epochs,
        batch_size=200,
        learning_rate_init=1e-3,
        random_state=method.seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y2, sample_weight=_balanced(y2[:, 0], w))
    return clf.coefs_[0], clf.intercepts_[0], clf.coefs_[1][:, 0], float(clf.intercepts_[1][0])


def fit_model(
    examples: Sequence[Example],
    *,
    c: float = 4.0,
    min_df: int = 2,
    signals: bool = False,
    header: dict[str, Any] | None = None,
    method: Method = DEFAULT_METHOD,
) -> bytes:
    """Fit one logistic-regression head per output on ``examples``; return model bytes.

    Features seen in fewer than ``min_df`` examples are dropped (size, and noise).
    Thresholds are left unset: call :func:`calibrate` and rebuild with them. The ``risky``
    head is fitted as ``method`` says (:class:`Method`).
    ``signals=False`` leaves out the rules' own signals: the labelled sets are the ones the
    rules were widened on, so there the rules look near-perfect and a model given their
    signals learns to lean on them instead of on the words.
    """
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    df: dict[int, int] = {}
    for e in examples:
        for h in set(e.text):
            df[h] = df.get(h, 0) + 1
        for h in e.signals if signals else ():
            df[h] = df.get(h, 0) + 1
    vocab = sorted(h for h, n in df.items() if n >= min_df)
    col = {h: i for i, h in enumerate(vocab)}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for e in examples:
        counts: dict[int, float] = {}
        norm = 1.0 / len(e.text) ** 0.5 if e.text else 0.0
        for h in e.text:
            j = col.get(h)
            if j is not None:
                counts[j] = counts.get(j, 0.0) + norm
        for h in e.signals:
            j = col.get(h)
            if j is not None:
                counts[j] = 1.0
        indices.extend(counts)
        data.extend(counts.values())
        indptr.append(len(indices))
    x = sparse.csr_matrix(
        (np.array(data), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(examples), len(vocab)),
    )
    weight = np.array([e.weight for e in examples])
    labels = [labels_for(e.decision, e.categories) for e in examples]
    head_weights = []
    biases = []
    flagged = np.array([SEVERITY_RANK[e.decision] >= 1 for e in examples])
    heads = list(HEADS)
    for head in heads:
        # risky/block: every draft, classes balanced. A category head is P(category | the
        # draft needs care): fitted on flagged drafts only, unbalanced, so its argmax is
        # the likeliest category rather than the rarest.
        rows = slice(None) if head in HEADS_FIXED else flagged
        y = np.array([lab[head] for lab in labels])[rows]
        if y.min() == y.max():  # no positive (or negative) example: a head that never fires
            head_weights.append(np.zeros(len(vocab)))
            biases.append(-20.0 if y.max() == 0 else 20.0)
            continue
        clf = LogisticRegression(
            C=c,
            class_weight="balanced" if head in HEADS_FIXED else None,
            solver="liblinear",
            max_iter=2000,
        )
        clf.fit(x[rows], y, sample_weight=weight[rows])
        wt, bias = clf.coef_[0], float(clf.intercept_[0])
        if head == "risky":
            wt, bias = wt * method.lr, bias * method.lr
            if method.nb:
                w_nb, b_nb = _nb_lr(x, y, weight, c)
                wt, bias = wt + method.nb * w_nb, bias + method.nb * b_nb
        head_weights.append(wt)
        biases.append(bias)
    net = None
    w1: list[list[float]] = []
    if method.mlp and method.hidden:
        y2 = np.array([[lab[h] for h in MLP_OUTPUTS] for lab in labels])
        m1, b1, w2, b2 = _mlp(x, y2, weight, method)
        w1 = m1.tolist()
        # the network's share of the risky logit is folded into its output layer
        net = Mlp(("risky",), [], b1.tolist(), [(w2 * method.mlp).tolist()], [b2 * method.mlp])
        # the cascade: skip the network below the lowest linear logit of any training draft
        # the blend puts at >= FLOOR_P, with a margin (new drafts are not training drafts)
        k = heads.index("risky")
        z_lin = x @ head_weights[k] + biases[k]
        z = z_lin + method.mlp * (np.maximum(x @ m1 + b1, 0) @ w2 + b2)
        lifted = z_lin[z >= np.log(FLOOR_P / (1 - FLOOR_P))]
        if len(lifted):
            net.floor = float(lifted.min()) - FLOOR_MARGIN
    keep = [j for j in range(len(vocab)) if net or any(abs(w[j]) > 1e-4 for w in head_weights)]
    if net is not None:
        net.w1 = [w1[j] for j in keep]
    return LinearModel.build(
        {"heads": heads, "signals": signals, "method": method.as_dict(), **(header or {})},
        [vocab[j] for j in keep],
        [[float(w[j]) for j in keep] for w in head_weights],
        biases,
        net,
    )


def combined(
    probs: dict[str, float], e: Example, thresholds: dict[str, Any]
) -> tuple[str, set[str]]:
    """The decision and categories of rules + model on one example (as the layer decides)."""
    added = judge(probs, thresholds, e.rules_decision, e.rules_categories)
    rank = SEVERITY_RANK[e.rules_decision]
    cats = set(e.rules_categories)
    for cat, sev, _ in added:
        rank = max(rank, SEVERITY_RANK[sev])
        cats.add(cat)
    return list(SEVERITY_RANK)[rank], cats


def predict(model: LinearModel, examples: Sequence[Example]) -> list[dict[str, float]]:
    """Probabilities per head for each example."""
    return [model.probs_hashes(e.text, e.signals) for e in examples]


def measure(
    probs: Sequence[dict[str, float]] | None,
    examples: Sequence[Example],
    thresholds: dict[str, Any],
) -> dict[str, float | int | None]:
    """The contract's four measures on labelled vectors (``probs=None``: rules alone)."""
    risky = caught = block = blocked = ok = alarms = hits = 0
    for i, e in enumerate(examples):
        if probs is None:
            decided, cats = e.rules_decision, set(e.rules_categories)
        else:
            decided, cats = combined(probs[i], e, thresholds)
        exp = SEVERITY_RANK[e.decision]
        got = SEVERITY_RANK[decided]
        if exp >= 2:
            risky += 1
            if got >= 2:
                caught += 1
                hits += bool(cats & set(e.categories))
        if exp == 3:
            block += 1
            blocked += got == 3
        if exp == 0:
            ok += 1
            alarms += got >= 2
    return {
        "drafts": len(examples),
        "risky_recall": caught / risky if risky else None,
        "block_recall": blocked / block if block else None,
        "false_alarms": alarms / ok if ok else None,
        "category_hits": hits / caught if caught else None,
    }


def measure_alone(
    probs: Sequence[dict[str, float]], examples: Sequence[Example], thresholds: dict[str, Any]
) -> dict[str, float | int | None]:
    """The four measures of the model on its own (as if no rule had fired)."""
    from dataclasses import replace

    blind = [replace(e, rules_decision="ok", rules_categories=[]) for e in examples]
    return measure(probs, blind, thresholds)


def heldout_measures(
    model: LinearModel, held: Sequence[Example], thresholds: dict[str, Any]
) -> dict[str, dict[str, float | int | None]]:
    """Rules + model and model-alone measures on the held-out split."""
    probs = predict(model, held)
    return {
        "rules_model": measure(probs, held, thresholds),
        "model_alone": measure_alone(probs, held, thresholds),
    }


def _top(p: dict[str, float]) -> str:
    return max(CATEGORY_HEADS, key=lambda c: (p.get(c, 0.0), c))


def calibrate(
    probs: Sequence[dict[str, float]],
    cal: Sequence[Example],
    lookalikes: frozenset[str] = LOOKALIKE_SOURCES,
) -> dict[str, Any]:
    """Thresholds from the calibration split: the most recall within the false-alarm budget.

    ``risky``: the lowest threshold at which the false alarms the model adds (ok drafts
    the rules let through) stay within :data:`FALSE_ALARM_TARGET` overall and
    :data:`SOURCE_FALSE_ALARM_TARGET` in every labelled set. ``risky_by_category``: per
    top category, the lowest threshold at or above that which adds no false alarm at all
    in the look-alike sets (so an innocent "film shoot" or "rumour" pays no approval
    cost; a category that cannot get there only advises). ``advise``: the lowest threshold
    whose advice band reaches at most :data:`ADVICE_TARGET` of ok drafts. ``block``: the
    lowest whose share of non-blocking drafts raised to ``do_not_post`` (in a blocking
    category) stays within :data:`BLOCK_SLIP_TARGET` and whose raised drafts are real
    blocks at least :data:`BLOCK_PRECISION` of the time (the model blocks only when very
    sure); per category: the lowest at which
    naming it as an extra category is right :data:`CATEGORY_PRECISION` of the time.
    """
    from bot.learned.model import BLOCK_CATEGORIES

    grid = [round(0.30 + 0.01 * i, 2) for i in range(70)]
    ok_idx = [i for i, e in enumerate(cal) if e.decision == "ok"]
    rules_alarm = {i for i in ok_idx if SEVERITY_RANK[cal[i].rules_decision] >= 2}
    by_source: dict[str, list[int]] = {}
    for i in ok_idx:
        by_source.setdefault(cal[i].source, []).append(i)
    groups = [g for g in by_source.values() if len(g) >= 30]
    top = [_top(p) for p in probs]

    def alarm_rate(idx: list[int], t: float) -> float:
        # the model's own cost: ok drafts it sends for approval that the rules did not
        return sum(1 for i in idx if i not in rules_alarm and probs[i]["risky"] >= t) / len(idx)

    t_risky = 0.99
    for t in grid:
        if (
            ok_idx
            and alarm_rate(ok_idx, t) <= FALSE_ALARM_TARGET
            and all(alarm_rate(g, t) <= SOURCE_FALSE_ALARM_TARGET for g in groups)
        ):
            t_risky = t
            break
    look = [i for i in ok_idx if cal[i].source in lookalikes and i not in rules_alarm]
    by_cat: dict[str, float] = {}
    for c in CATEGORY_HEADS:
        worst = max((probs[i]["risky"] for i in look if top[i] == c), default=0.0)
        chosen = next((t for t in grid if t >= t_risky and t > worst), 1.1)
        by_cat[c] = chosen
    silent = [i for i in ok_idx if SEVERITY_RANK[cal[i].rules_decision] == 0]
    t_advise = t_risky
    for t in grid:
        if t >= t_risky:
            break
        if silent and sum(probs[i]["risky"] >= t for i in silent) / len(silent) <= ADVICE_TARGET:
            t_advise = t
            break

    def approves(i: int) -> bool:
        return probs[i]["risky"] >= by_cat.get(top[i], t_risky)

    not_block = [
        i
        for i, e in enumerate(cal)
        if e.decision != "do_not_post" and e.rules_decision != "do_not_post"
    ]
    raisable = [
        i
        for i, e in enumerate(cal)
        if e.rules_decision != "do_not_post" and approves(i) and top[i] in BLOCK_CATEGORIES
    ]
    t_block = 0.99
    for t in grid:
        raised = [i for i in raisable if probs[i]["block"] >= t]
        slips = sum(1 for i in raised if cal[i].decision != "do_not_post")
        if (
            not_block
            and slips / len(not_block) <= BLOCK_SLIP_TARGET
            and (not raised or (len(raised) - slips) / len(raised) >= BLOCK_PRECISION)
        ):
            t_block = t
            break
    per_cat: dict[str, float] = {}
    for c in CATEGORY_HEADS:
        chosen = 1.1
        for t in grid[20:]:
            named = [i for i, e in enumerate(cal) if approves(i) and probs[i][c] >= t]
            if len(named) >= 3:
                right = sum(1 for i in named if c in cal[i].categories)
                if right / len(named) >= CATEGORY_PRECISION:
                    chosen = t
                    break
        per_cat[c] = chosen
    return {
        "risky": t_risky,
        "risky_by_category": by_cat,
        "advise": t_advise,
        "block": t_block,
        "category": per_cat,
    }


def with_thresholds(blob: bytes, thresholds: dict[str, Any], extra: dict[str, Any]) -> bytes:
    """Rewrite a model's header with calibrated thresholds (weights unchanged)."""
    import json
    import struct

    (hlen,) = struct.unpack_from("<I", blob, 4)
    header = json.loads(blob[8 : 8 + hlen].decode("utf-8"))
    header["thresholds"] = thresholds
    header.update(extra)
    hb = json.dumps(header, sort_keys=True).encode("utf-8")
    return blob[:4] + struct.pack("<I", len(hb)) + hb + blob[8 + hlen :]


def calibrate_unseen(
    probs: Sequence[dict[str, float]],
    pool: Sequence[Example],
    base: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Approval thresholds chosen on drafts by writers the model never read.

    Out-of-fold scores flatter a writer whose innocent drafts are twins of their risky ones
    (the twin sits in the training folds), so out-of-fold calibration is cautious on a new
    writer's drafts: the shipped model added no false alarm on any held-out set and missed
    what it could have caught. Here ``probs`` come from a model fitted without the pool's
    sets. Two thresholds are chosen (the approval threshold and reputation's own: jibes
    and sarcasm look most like banter; on a tie the higher, the most cautious) for the most
    added recall while the false alarms
    the model adds stay within :data:`FALSE_ALARM_TARGET` over the pool and
    :data:`SOURCE_FALSE_ALARM_TARGET` in each set. ``base`` (from :func:`calibrate` on the
    same scores) gives the other thresholds. Returns the thresholds and what was measured.
    """
    from bot.learned.model import judge

    risky = ("needs_approval", "do_not_post")
    sources = sorted({e.source for e in pool})
    grid = [round(0.50 + 0.05 * i, 2) for i in range(9)] + [0.99]

    def run(t: float, t_rep: float) -> tuple[float, float, float, int, int]:
        th = dict(base)
        th["risky"] = t
        th["risky_by_category"] = {c: (t_rep if c == "reputation" else t) for c in CATEGORY_HEADS}
        caught = alarms = n_risky = n_ok = 0
        per: dict[str, list[int]] = {s: [0, 0] for s in sources}
        for pr, e in zip(probs, pool, strict=True):
            if e.rules_decision in risky:
                continue  # the rules already decided: the model adds nothing here
            raised = any(
                sev in risky for _, sev, _ in judge(pr, th, e.rules_decision, e.rules_categories)
            )
            if e.decision in risky:
                caught += raised
            elif e.decision == "ok":
                alarms += raised
                per[e.source][1] += raised
        for e in pool:
            n_risky += e.decision in risky
            if e.decision == "ok":
                n_ok += 1
                per[e.source][0] += 1
        worst = max((a / n for n, a in per.values() if n), default=0.0)
        return caught / max(n_risky, 1), alarms / max(n_ok, 1), worst, n_risky, n_ok

    best: tuple[float, float, float, float, float] | None = None
    for t in grid:
        for t_rep in grid:
            if t_rep < t:
                continue
            added, fa, worst, _, _ = run(t, t_rep)
            if fa <= FALSE_ALARM_TARGET and worst <= SOURCE_FALSE_ALARM_TARGET:
                key = (added, -fa, t, t_rep)
                if best is None or key > (best[0], -best[1], best[3], best[4]):
                    best = (added, fa, worst, t, t_rep)
    th = dict(base)
    if best is None:  # nothing fits the budget: keep the out-of-fold thresholds
        return th, {"pool": sources, "chosen": None}
    added, fa, worst, t, t_rep = best
    th["risky"] = t
    th["risky_by_category"] = {c: (t_rep if c == "reputation" else t) for c in CATEGORY_HEADS}
    th["advise"] = min(float(base.get("advise", t)), t)
    return th, {
        "pool": sources,
        "drafts": len(pool),
        "added_recall": round(added, 3),
        "added_false_alarms": round(fa, 3),
        "worst_set_added_false_alarms": round(worst, 3),
        "risky": t,
        "reputation": t_rep,
    }
