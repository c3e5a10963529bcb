"""Turn the model's answer into findings and merge them under the rules' authority.

The model may add findings and so raise the decision; it can never lower or
remove a rule finding, because rule findings are copied through untouched
and the decision is always the most severe finding. A model finding that
repeats a rule finding (same category, same words, no more severe) is
dropped as noise.

Model quotes come back in placeholder form and sometimes paraphrased; they
are restored, then located in the draft (exactly, then ignoring case,
whitespace and typographic quotes) to get offsets into the draft *as given*.
A quote that cannot be found keeps null offsets, like a whole-draft finding.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any

from bot.llm.redaction import Redaction
from bot.policy import Section
from bot.verdict import Finding, Severity

#: At most this many model findings per draft: more is noise for the author.
MAX_LLM_FINDINGS = 6
MAX_QUOTE = 200

#: The protocol section a model finding of each category cites.
CATEGORY_SECTIONS: dict[str, str] = {
    "confidentiality": "confidential-information",
    "legal": "keep-it-legal",
    "safeguarding": "safeguarding",
    "conflict": "dont-get-into-a-row",
    "reputation": "reputation",
    "representation": "speaking-for-the-organisation",
    "sensitivity": "sensitive-situations",
    "promotion": "paid-promotion",
    "strategy": "keep-it-strategic",
    "accessibility": "accessibility",
}

_QUOTE_CHARS = {"'": "['‘’`]", '"': '["“”]', "-": "[-–—]"}
_TRIM = " \t\n\"'“”‘’"


def to_clean(pos: int, index_map: list[int] | None) -> int:
    """Map an offset in the draft as given to the draft with invisible characters removed."""
    return pos if index_map is None else bisect_left(index_map, pos)


def to_original(start: int, end: int, index_map: list[int] | None) -> tuple[int, int]:
    """Map a span of the cleaned draft back to the draft as given."""
    if index_map is None or not index_map:
        return start, end
    s = index_map[min(start, len(index_map) - 1)]
    e = index_map[min(max(end - 1, start), len(index_map) - 1)] + 1
    return s, max(e, s)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Find ``quote`` in ``text``: exactly, then loosely. None when it is not there."""
    q = quote.strip(_TRIM)
    if q.endswith(("...", "…")):
        q = q.rstrip(".…").rstrip()
    if q.startswith(("...", "…")):
        q = q.lstrip(".…").lstrip()
    if not q:
        return None
    i = text.find(q)
    if i >= 0:
        return i, i + len(q)
    words = q.split()
    parts = ["".join(_QUOTE_CHARS.get(ch, re.escape(ch)) for ch in w) for w in words]
    m = re.search(r"\s+".join(parts), text, re.IGNORECASE)
    if m:
        return m.start(), m.end()
    return None


def _policy_ref(category: str, sections: Mapping[str, Section]) -> str:
    anchor = CATEGORY_SECTIONS.get(category, "common-sense")
    if sections and anchor not in sections:
        anchor = "common-sense" if "common-sense" in sections else next(iter(sections))
    return f"protocol#{anchor}"


def llm_findings(
    data: Mapping[str, Any],
    *,
    text: str,
    redaction: Redaction,
    index_map: list[int] | None,
    sections: Mapping[str, Section],
) -> list[Finding]:
    """Findings from a validated critique answer, with personal data restored and offsets found."""
    out: list[Finding] = []
    for item in list(data.get("findings") or [])[:MAX_LLM_FINDINGS]:
        category = str(item["category"])
        quote = redaction.restore(str(item.get("quote") or "")).strip()
        start: int | None = None
        end: int | None = None
        shown: str | None = quote[:MAX_QUOTE] or None
        span = locate(quote, redaction.source) if quote else None
        if span is not None:
            start, end = to_original(span[0], span[1], index_map)
            shown = text[start:end]
            if len(shown) > MAX_QUOTE:
                shown = shown[: MAX_QUOTE - 1] + "…"
        out.append(
            Finding(
                rule=f"llm.{category}",
                category=category,
                severity=Severity.parse(str(item["severity"])),
                start=start,
                end=end,
                quote=shown,
                message=redaction.restore(str(item.get("explanation") or "")).strip(),
                suggestion=redaction.restore(str(item.get("suggestion") or "")).strip(),
                policy_ref=_policy_ref(category, sections),
                source="llm",
            )
        )
    return out


def _covered(f: Finding, by: Finding) -> bool:
    """True when ``by`` already says what ``f`` says (same category, same place, at least as severe)."""
    if by.category != f.category or by.severity < f.severity:
        return False
    if f.start is None or f.end is None:
        return True  # an unplaced finding adds nothing beside a placed one of its category
    if by.start is None or by.end is None:
        return False
    return f.start < by.end and by.start < f.end


def merge(rule_findings: Iterable[Finding], extra: Iterable[Finding]) -> list[Finding]:
    """Rule findings, all kept, plus the model's findings that add something.

    Ordered like :func:`bot.review.merge_findings`: most severe first, then by position.
    """
    kept = list(rule_findings)
    for f in sorted(extra, key=lambda f: (-f.severity, f.start if f.start is not None else -1)):
        if any(_covered(f, k) for k in kept):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (-f.severity, f.start if f.start is not None else -1))
    return kept
