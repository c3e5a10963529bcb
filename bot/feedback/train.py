"""``canipost model train``: refit the organisation's model on the shipped vectors + feedback.

Works from a normal install: the shipped training set travels in the wheel as hashed
vectors (no text), and confirmed feedback is vectorised with the same feature function.
Protocol, so the before/after figures are comparable:

1. *before*: a model fitted on the shipped vectors' training split alone;
2. *after*: the same fit plus the feedback (each report weighted :data:`FEEDBACK_WEIGHT`,
   so four reports about film shoots outweigh a few hundred generic drafts that mention
   shooting);
3. both are measured on the shipped held-out split with the shipped thresholds; if *after*
   is worse (recall or block recall down, or false alarms up, by more than
   :data:`TOLERANCE`) the model is refused and nothing is stored;
4. otherwise the final model is fitted on all shipped vectors plus the feedback and stored
   in the database as the workspace's active model (so every worker and the CLI use it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config
from bot.errors import CanipostError
from bot.learned.dataset import Example, load_examples
from bot.learned.features import draft_features
from bot.learned.live import VECTORS_PATH, invalidate, shipped_model
from bot.learned.model import FORMAT, LinearModel
from bot.store import Store
from bot.verdict import Severity

from .service import FeedbackItem, save_model, training_feedback

log = logging.getLogger("canipost.feedback")

#: Weight of one confirmed report against one shipped example.
FEEDBACK_WEIGHT = 12.0
#: How much worse than the shipped model a new one may be on the held-out split: rules +
#: model (what users see), and the model alone (looser: one of ~40 blocking drafts is 2.5%).
TOLERANCE = 0.02
MODEL_ALONE_TOLERANCE = 0.02
#: Below this risky probability an org model may ease a rule's supported false alarm.
CLEAR_THRESHOLD = 0.4
#: Confirmed false alarms of one rule needed before the model may ease that rule.
MIN_SUPPORT = 2
#: How alike (cosine of word features) a draft must be to a confirmed report to count as
#: its sibling: film shoots to film shoots, leaked scores to leaked scores.
SIBLING_RESEMBLANCE = 0.25
#: A sibling of a confirmed miss is raised only when the organisation's model leans risky.
SIBLING_RISKY = 0.4
#: Most recent confirmed reports of each kind kept as exemplars in the model.
MAX_EXEMPLARS = 500


class ModelRefused(CanipostError):
    """The retrained model is worse than the shipped one on the held-out split (exit 1)."""

    exit_code = 1


@dataclass(slots=True)
class TrainResult:
    """What ``model train`` did, with the held-out measures before and after."""

    stored: bool
    message: str
    feedback: int
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "message": self.message,
            "feedback": self.feedback,
            "heldout_before": self.before,
            "heldout_after": self.after,
            "version": self.version,
            "seconds": round(self.seconds, 2),
        }


def _vectorise(items: list[FeedbackItem]) -> list[Example]:
    out = []
    for it in items:
        text, signals = draft_features(it.text, [(r, "", "") for r in it.rules_fired], "ok")
        out.append(
            Example(
                text,
                sorted(signals),
                it.expected,
                list(it.categories),
                "train",
                FEEDBACK_WEIGHT,
                "feedback",
                it.rules_decision,
                [],
            )
        )
    return out


def _false_alarm_support(
    items: list[FeedbackItem], config: Config
) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Per rule: how many confirmed false alarms it caused, and the words it matched in them.

    The layer eases a rule's finding only when every word that rule matched in the new
    draft is one it also matched in a confirmed false alarm ("shooting" in a film post),
    so a shooting report that also says "fatal" or "died" is never eased. The words come
    from the report's ``rules_matched`` (the rule's own terms, recorded before redaction);
    reports stored before that was recorded are re-reviewed from their redacted text.
    """
    from bot import Draft
    from bot.learned.layer import quote_key
    from bot.review import review_rules

    support: dict[str, int] = {}
    quotes: dict[str, set[str]] = {}
    for it in items:
        if it.kind != "false_alarm":
            continue
        if it.rules_matched is not None:
            # recorded when the report was made, from the draft before redaction: the
            # stored text has a legal finding's words replaced by [LEGAL_1]
            for rule, words in it.rules_matched.items():
                support[rule] = support.get(rule, 0) + 1
                quotes.setdefault(rule, set()).update(quote_key(w) for w in words)
            continue
        v = review_rules(Draft(it.text), config=config, layers=False)
        for f in v.findings:
            if f.severity >= Severity.NEEDS_APPROVAL and f.quote:
                quotes.setdefault(f.rule, set()).add(quote_key(f.quote))
        for rule in {f.rule for f in v.findings if f.severity >= Severity.NEEDS_APPROVAL}:
            support[rule] = support.get(rule, 0) + 1
    return support, quotes


def _exemplars(items: list[FeedbackItem], kind: str) -> list[dict[str, Any]]:
    """Confirmed reports of one kind as word-feature sets (hashes of the redacted text, no
    words) with the decision and categories the team gave: the layer asks whether a new
    draft is a sibling of one (:func:`bot.learned.layer.apply`)."""
    from bot.learned.features import word_set

    latest = [it for it in items if it.kind == kind][-MAX_EXEMPLARS:]
    return [
        {
            "words": sorted(word_set(it.text)),
            "expected": it.expected,
            "categories": list(it.categories),
        }
        for it in latest
    ]


def _worse(before: dict[str, Any], after: dict[str, Any], tolerance: float = 0.02) -> list[str]:
    why = []
    for key, label in (("risky_recall", "risky recall"), ("block_recall", "block recall")):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and a < b - tolerance:
            why.append(f"{label} {b:.2f} -> {a:.2f}")
    b, a = before.get("false_alarms"), after.get("false_alarms")
    if b is not None and a is not None and a > b + tolerance:
        why.append(f"false alarms {b:.1%} -> {a:.1%}")
    return why


def train_org_model(store: Store, config: Config, *, by: str | None = None) -> TrainResult:
    """Retrain from shipped vectors + confirmed feedback; store it unless it is worse."""
    from bot.learned.fit import fit_model, heldout_measures

    started = time.perf_counter()
    items = training_feedback(store, config)
    shipped = shipped_model()
    examples, _meta = load_examples(VECTORS_PATH)
    held = [e for e in examples if e.split == "cal"]
    train = [e for e in examples if e.split == "train"]
    th = dict(shipped.thresholds)
    c = float(shipped.header.get("c", 8.0))
    if not items:
        m = shipped.header.get("heldout_reference") or heldout_measures(shipped, held, th)
        return TrainResult(
            stored=False,
            message="no confirmed feedback yet: keeping the model in use (shipped unless one "
            "was trained before)",
            feedback=0,
            before=m,
            after=m,
            seconds=time.perf_counter() - started,
        )
    fb = _vectorise(items)
    before = shipped.header.get("heldout_reference") or heldout_measures(
        LinearModel.from_bytes(fit_model(train, c=c)), held, th
    )
    after_model = LinearModel.from_bytes(fit_model(train + fb, c=c))
    after = heldout_measures(after_model, held, th)
    why = _worse(before["rules_model"], after["rules_model"], TOLERANCE) + [
        f"model alone: {w}"
        for w in _worse(before["model_alone"], after["model_alone"], MODEL_ALONE_TOLERANCE)
    ]
    if why:
        raise ModelRefused(
            "refused: the retrained model is worse than the shipped one on the held-out split ("
            + "; ".join(why)
            + "); the shipped model stays in use. Check the feedback for reports that contradict "
            "each other (canipost feedback list)."
        )
    support, quotes = _false_alarm_support(items, config)
    thresholds = {
        **th,
        "clear": CLEAR_THRESHOLD,
        "sibling": SIBLING_RESEMBLANCE,
        "sibling_risky": SIBLING_RISKY,
    }
    blob = fit_model(
        examples + fb,
        c=c,
        header={
            "name": "organisation",
            "workspace": config.workspace,
            "thresholds": thresholds,
            "false_alarm_rules": {r: n for r, n in support.items() if n >= MIN_SUPPORT},
            "false_alarm_quotes": {
                r: sorted(q) for r, q in quotes.items() if support[r] >= MIN_SUPPORT
            },
            "false_alarm_exemplars": _exemplars(items, "false_alarm"),
            "missed_exemplars": _exemplars(items, "missed"),
            "feedback": len(items),
            "based_on": shipped.version,
            "c": c,
        },
    )
    model = LinearModel.from_bytes(blob)
    summary = {
        "feedback": len(items),
        "heldout_before": before,
        "heldout_after": after,
        "based_on": shipped.version,
    }
    save_model(store, config, blob, version=model.version, fmt=FORMAT, summary=summary, by=by)
    invalidate()
    log.info("organisation model %s stored (%d feedback reports)", model.version, len(items))
    return TrainResult(
        stored=True,
        message=f"organisation model {model.version} trained on {len(items)} confirmed "
        "reports and stored; every worker uses it within a few seconds",
        feedback=len(items),
        before=before,
        after=after,
        version=model.version,
        seconds=time.perf_counter() - started,
    )
