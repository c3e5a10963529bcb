"""The watch list as a local review layer (registered in :data:`bot.review.LOCAL_LAYERS`).

Runs after the YAML rules on every check. It only ever *adds* findings, so it
can raise a decision but never lower one. Findings say the kind's message and
cite its protocol section; the entry's note, who added it and why never reach
staff (approver views look them up with :func:`bot.watch.watch_hits`).

Severity is the entry's own, else its kind's default (see :mod:`bot.watch.kinds`).
"""

from __future__ import annotations

from bot.config import Config
from bot.text import Prepared
from bot.verdict import Draft, Finding, Verdict
from bot.watch.live import matcher_for
from bot.watch.matcher import WatchHit

#: Longest quote shown for one finding (same as the rules).
MAX_QUOTE = 200


def apply(
    verdict: Verdict, *, draft: Draft, text: str, prepared: Prepared, config: Config
) -> Verdict:
    """Add a ``watch.<kind>`` finding for every place the draft names an active entry."""
    matcher = matcher_for(config)
    if matcher is None:
        return verdict
    hits = matcher.find(prepared)
    if not hits:
        return verdict
    findings = [*verdict.findings, *(finding_for(h, text) for h in hits)]
    findings.sort(key=lambda f: (-f.severity, f.start if f.start is not None else -1))
    return verdict.with_findings(findings)


def finding_for(hit: WatchHit, text: str) -> Finding:
    """The staff-facing finding for one hit: the kind's words, never the entry's note."""
    kind = hit.entry.kind_info
    quote = text[hit.start : hit.end]
    if len(quote) > MAX_QUOTE:
        quote = quote[: MAX_QUOTE - 1] + "…"
    return Finding(
        rule=kind.rule_id,
        category=kind.category,
        severity=hit.entry.effective_severity,
        start=hit.start,
        end=hit.end,
        quote=quote,
        message=kind.message,
        suggestion=kind.suggestion,
        policy_ref=kind.policy_ref,
    )
