"""Redaction of personal data in stored drafts, using the review's own offsets.

The review already located the personal data (confidentiality findings carry
``start``/``end``); redaction replaces those spans with ``[REDACTED]`` and
moves every finding's offsets so the stored verdict still points at the right
words of the stored text.
"""

from __future__ import annotations

from dataclasses import replace

from bot.verdict import Finding, Verdict

MARK = "[REDACTED]"
#: Finding categories whose quoted spans are personal data.
REDACT_CATEGORIES: frozenset[str] = frozenset({"confidentiality"})


def redact(text: str, verdict: Verdict) -> tuple[str, Verdict] | None:
    """Return ``(text, verdict)`` with personal data replaced, or None if there is none.

    >>> from bot.verdict import Finding, Severity, Verdict
    >>> f = Finding("c.nhs", "confidentiality", Severity.DO_NOT_POST, 4, 16,
    ...             "943 476 5919", "", "", "")
    >>> redact("NHS 943 476 5919 ok", Verdict([f], "v"))[0]
    'NHS [REDACTED] ok'
    """
    spans = _merge(
        [
            (f.start, f.end)
            for f in verdict.findings
            if f.category in REDACT_CATEGORIES
            and f.start is not None
            and f.end is not None
            and 0 <= f.start < f.end <= len(text)
        ]
    )
    if not spans:
        return None
    out: list[str] = []
    pos = 0
    for s, e in spans:
        out.append(text[pos:s])
        out.append(MARK)
        pos = e
    out.append(text[pos:])
    new_text = "".join(out)

    def move(offset: int, *, end: bool) -> int:
        shift = 0
        for s, e in spans:
            if offset <= s:
                break
            if offset < e:  # inside a redacted span: snap to the mark's edge
                return s + shift + (len(MARK) if end else 0)
            shift += len(MARK) - (e - s)
        return offset + shift

    def fix(f: Finding) -> Finding:
        if f.start is None or f.end is None:
            return f
        start, stop = move(f.start, end=False), move(f.end, end=True)
        return replace(f, start=start, end=stop, quote=new_text[start:stop] if f.quote else f.quote)

    return new_text, verdict.with_findings([fix(f) for f in verdict.findings])


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
