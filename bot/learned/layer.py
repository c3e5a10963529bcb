"""The learned review layer: runs after the YAML rules and the watch list.

It may *raise* a decision: when the model is confident a draft is risky it adds a finding
(``source: "model"``, rule ``model.<category>``) in the category it reads, quoting the words
that weighed most. It never lowers a rules ``do_not_post`` and never touches
confidentiality (personal data, identifiers) or watch-list findings. With an organisation
model trained on the comms team's feedback it may also turn a rules ``needs_approval``
finding into advice, but only where the model is confident the draft is fine AND the team
has confirmed false alarms from that same rule.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from dataclasses import replace
from typing import Any

from bot.config import Config
from bot.learned import live
from bot.learned.model import LinearModel, judge
from bot.text import Prepared
from bot.verdict import Draft, Finding, Severity, Verdict

log = logging.getLogger("canipost.learned")

__all__ = ["POLICY_REFS", "apply", "quote_key"]

#: The protocol section each category's findings cite.
POLICY_REFS: dict[str, str] = {
    "confidentiality": "protocol#confidential-information",
    "legal": "protocol#keep-it-legal",
    "safeguarding": "protocol#safeguarding",
    "conflict": "protocol#dont-get-into-a-row",
    "reputation": "protocol#reputation",
    "representation": "protocol#speaking-for-the-organisation",
    "sensitivity": "protocol#sensitive-situations",
    "promotion": "protocol#paid-promotion",
    "strategy": "protocol#keep-it-strategic",
    "accessibility": "protocol#accessibility",
}

_WHAT: dict[str, str] = {
    "confidentiality": "may share confidential, personal or unannounced information",
    "legal": "may raise a legal risk (a court case, someone's anonymity, an allegation)",
    "safeguarding": "may identify a child or a vulnerable adult",
    "conflict": "reads as hostile, abusive or likely to start a row",
    "reputation": "may disparage the organisation, colleagues or the public",
    "representation": "may speak for the organisation or take a political side",
    "sensitivity": "touches a death, tragedy, incident or other sensitive event",
    "promotion": "may be an endorsement, sponsorship or undisclosed advert",
    "strategy": "reads as broadcast or spam-style copy",
    "accessibility": "may be hard to read for some of your audience",
}

_SUGGEST: dict[str, str] = {
    "confidentiality": "Remove anything that identifies a person or shares non-public information, or ask the comms team.",
    "legal": "Leave out details of the case or the allegation; ask the comms team before posting.",
    "safeguarding": "Remove names, places and details that could identify the person.",
    "conflict": "Step back: reply calmly, take it offline, or don't reply.",
    "reputation": "Say it privately through the right channel instead.",
    "representation": "Only the comms team announces or explains the organisation's position; ask them first.",
    "sensitivity": "Check facts and tone with the comms team; be factual and compassionate.",
    "promotion": "Disclose any relationship (#ad) or ask the comms team whether to post it.",
    "strategy": "Write it for people, not as a broadcast.",
    "accessibility": "Use CamelCase hashtags, fewer emoji and alt text for images.",
}

#: Categories the layer never cancels (personal data and identifiers).
_NEVER_CANCEL = frozenset({"confidentiality"})
_QUOTE_WORDS = 4  # longest run of words quoted around the strongest one
_broken: str | None = None  # why the shipped model could not be read (warned once)


def apply(
    verdict: Verdict, *, draft: Draft, text: str, prepared: Prepared, config: Config
) -> Verdict:
    """Return the verdict with the model's findings added (and, rarely, a false alarm eased)."""
    if live.disabled():
        return verdict
    global _broken
    if _broken is not None:
        return verdict
    try:
        in_use = live.current(config.workspace)
    except (OSError, ValueError) as exc:  # shipped model missing from a broken install
        _broken = str(exc)
        log.warning("learned layer off for this process: %s", exc)
        return verdict
    model = in_use.model
    signals: list[int] = []
    if model.uses_signals:
        from bot.learned.features import signal_hashes

        signals = list(
            signal_hashes(
                ((f.rule, f.category, f.severity.label) for f in verdict.findings),
                verdict.decision.label,
            )
        )
    # Below the advice threshold nothing is added; an org model also needs risky for easing.
    t_risky = float(model.thresholds.get("risky", 1.1))
    t_risky = min(t_risky, float(model.thresholds.get("advise", t_risky)))
    scores = model.score(prepared.text, signals, lazy_below=t_risky)
    probs = scores.probs
    added = judge(probs, model.thresholds, verdict.decision.label, verdict.categories)
    findings = list(verdict.findings)
    changed = False
    if in_use.source == "organisation":
        near = _Siblings(model, prepared.text)
        eased = _ease(findings, probs, model, near)
        changed = eased is not findings
        findings = eased
        approves = any(sev in ("needs_approval", "do_not_post") for _, sev, _ in added)
        if not approves and verdict.decision < Severity.NEEDS_APPROVAL:
            sibling = near.of_missed(probs)
            if sibling is not None:
                category, confidence = sibling
                added = []  # the model's own advice on this draft is superseded
                f = _finding(
                    model, scores.words, prepared, text, category, "needs_approval", confidence
                )
                findings.append(
                    replace(
                        f,
                        message="Your comms team has confirmed drafts like this one as risky "
                        f"(the rules missed them): it {_WHAT.get(category, 'may need a second look')}.",
                    )
                )
                changed = True
    for category, severity, confidence in added:
        findings.append(
            _finding(model, scores.words, prepared, text, category, severity, confidence)
        )
        changed = True
    out = verdict.with_findings(findings) if changed else verdict
    if in_use.source == "organisation":
        out = replace(out, policy_version=_version(verdict.policy_version, model.version))
    return out


def quote_key(quote: str) -> str:
    """A matched span as the easing compares it: lower case, one space, no edge punctuation."""
    return " ".join(quote.lower().replace("\u2019", "'").split()).strip(".,;:!?\"'()")


#: Per model and header key: its exemplars' word sets, built once (not once per draft).
_EXEMPLAR_SETS: weakref.WeakKeyDictionary[LinearModel, dict[str, list[Any]]] = (
    weakref.WeakKeyDictionary()
)


def _exemplar_sets(model: LinearModel, key: str) -> list[tuple[frozenset[int], dict[str, Any]]]:
    """The model's confirmed reports of one kind as (word set, report), memoised per model."""
    per_model = _EXEMPLAR_SETS.setdefault(model, {})
    got = per_model.get(key)
    if got is None:
        got = [(frozenset(ex["words"]), ex) for ex in model.header.get(key) or []]
        per_model[key] = got
    return got


class _Siblings:
    """Is this draft a sibling of a report the comms team confirmed? (organisation models)

    The model keeps each confirmed false alarm and miss as a set of word-feature hashes;
    a draft resembling one (cosine of word features at least the ``sibling`` threshold)
    is its sibling. Computed once per draft, only when asked.
    """

    def __init__(self, model: LinearModel, text: str) -> None:
        self.model = model
        self.text = text
        self._words: frozenset[int] | None = None
        self.t_sibling = float(model.thresholds.get("sibling", 1.1))

    def _best(self, key: str) -> tuple[float, dict[str, Any] | None]:
        from bot.learned.features import resemblance, word_set

        exemplars = _exemplar_sets(self.model, key)
        if not exemplars:
            return 0.0, None
        if self._words is None:
            self._words = word_set(self.text)
        best, which = 0.0, None
        for words, ex in exemplars:
            r = resemblance(self._words, words)
            if r > best:
                best, which = r, ex
        return best, which

    def of_false_alarm(self) -> bool:
        return self._best("false_alarm_exemplars")[0] >= self.t_sibling

    def of_missed(self, probs: dict[str, float]) -> tuple[str, float] | None:
        """(category, risky probability) when the draft is a sibling of a confirmed miss
        and the model leans risky (``sibling_risky``); else None."""
        p = probs.get("risky", 0.0)
        if p < float(self.model.thresholds.get("sibling_risky", 1.1)):
            return None
        r, ex = self._best("missed_exemplars")
        if ex is None or r < self.t_sibling:
            return None
        cats = [c for c in ex.get("categories") or [] if c in POLICY_REFS]
        if not cats:
            named = {c: probs[c] for c in POLICY_REFS if c in probs}
            cats = [max(named, key=named.__getitem__)] if named else ["confidentiality"]
        return cats[0], p


def _ease(
    findings: list[Finding],
    probs: dict[str, float],
    model: LinearModel,
    near: _Siblings | None = None,
) -> list[Finding]:
    """Turn supported false alarms into advice: confirmed feedback on that rule AND the
    model confident the draft is fine, or (a sibling of a confirmed false alarm) not
    asking for approval itself."""
    support: dict[str, int] = model.header.get("false_alarm_rules", {})
    seen: dict[str, list[str]] = model.header.get("false_alarm_quotes", {})
    t_clear = float(model.thresholds.get("clear", -1.0))
    p = probs.get("risky", 1.0)
    if not support:
        return findings
    if p >= t_clear:
        t_approve = float(model.thresholds.get("risky", 1.1))
        if not (near is not None and p < t_approve and near.of_false_alarm()):
            return findings
    # A rule is eased only if every word it matched here is one it matched in a confirmed
    # false alarm: "shooting" in a film post, not "fatal" or "died" beside it.
    matched: dict[str, set[str]] = {}
    for f in findings:
        matched.setdefault(f.rule, set()).add(quote_key(f.quote or ""))
    out = []
    eased = False
    for f in findings:
        if (
            f.severity == Severity.NEEDS_APPROVAL
            and f.source == "rules"
            and f.category not in _NEVER_CANCEL
            and not f.rule.startswith("watch.")
            and support.get(f.rule, 0) >= 2
            and matched[f.rule] <= set(seen.get(f.rule, ()))
        ):
            f = replace(
                f,
                severity=Severity.ADVISE,
                message=f.message
                + " (Your comms team has confirmed drafts like this one as false alarms,"
                " so this is advice, not a request for approval.)",
            )
            eased = True
        out.append(f)
    return out if eased else findings


def _finding(
    model: LinearModel,
    words: list[str],
    prepared: Prepared,
    text: str,
    category: str,
    severity: str,
    confidence: float,
) -> Finding:
    start, end, quote = _quote(model, prepared, text, category)
    return Finding(
        rule=f"model.{category}",
        category=category,
        severity=Severity.parse(severity),
        start=start,
        end=end,
        quote=quote,
        message=f"No rule matched, but the review model reads this as a draft that "
        f"{_WHAT.get(category, 'may need a second look')} ({confidence:.0%} confident)."
        + (
            " It is not sure enough to ask for approval: worth a second look before posting."
            if severity == "advise"
            else ""
        ),
        suggestion=_SUGGEST.get(category, "Ask the comms team before posting."),
        policy_ref=POLICY_REFS.get(category, "protocol#getting-approval"),
        source="model",
    )


def _quote(
    model: LinearModel, prepared: Prepared, text: str, category: str
) -> tuple[int | None, int | None, str | None]:
    """The run of words that weighed most toward ``category``, as offsets into ``text``."""
    from bot.learned.features import word_spans

    spans = word_spans(prepared.text)
    if not spans:
        return None, None, None
    share = model.word_weights([w for w, _, _ in spans], category)
    risky = model.word_weights([w for w, _, _ in spans], "risky")
    weight = [a + b for a, b in zip(share, risky, strict=True)]
    best = max(range(len(spans)), key=lambda i: weight[i])
    if weight[best] <= 0:
        return None, None, None
    lo = hi = best
    while hi - lo + 1 < _QUOTE_WORDS:
        left = weight[lo - 1] if lo > 0 else 0.0
        right = weight[hi + 1] if hi + 1 < len(spans) else 0.0
        if max(left, right) < 0.4 * weight[best]:
            break
        if left >= right:
            lo -= 1
        else:
            hi += 1
    s, e = prepared.to_original(spans[lo][1], spans[hi][2])
    return s, e, text[s:e]


def _version(policy_version: str, model_version: str) -> str:
    """A policy version that changes with the organisation's model."""
    return hashlib.sha256(f"{policy_version}+{model_version}".encode()).hexdigest()[:12]
