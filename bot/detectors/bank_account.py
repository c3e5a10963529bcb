"""UK bank details: a sort code with an account number, or an account number given as such
(``bank_account``).
"""

from __future__ import annotations

import re

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_SORT_CODE = compile_regex(r"(?<![\d-])(\d{2})[- ](\d{2})[- ](\d{2})(?![\d-])|(?<!\d)\d{6}(?!\d)")
_ACCOUNT = compile_regex(r"(?<!\d)\d{8}(?!\d)|(?<!\d)\d{4}[ -]\d{4}(?!\d)")
_BANK_WORDS = compile_regex(r"\b(?:sort[\s-]?code|account|acct|a/c|bank)\b", re.IGNORECASE)


_ACCOUNT_NUMBER = compile_regex(
    r"\b(?:bank\s+)?(?:account|acct|a/c)\s*(?:number|no\.?|num|#)?\s*(?:is\s*)?[:\-]?\s*\d{8}(?!\d)",
    re.IGNORECASE,
)


def find_bank_details(text: str, org: Organisation) -> list[Detection]:
    """A UK sort code with an account number nearby, or an account number given as such."""
    if _digits(text) < 8 or _BANK_WORDS.search(text) is None:
        return []
    out = [Detection(m.start(), m.end(), "bank_account") for m in _ACCOUNT_NUMBER.finditer(text)]
    if _digits(text) < 14:
        return out
    for sc in _SORT_CODE.finditer(text):
        if sc.group(1) is None and "sort" not in text.lower():
            continue
        window = text[sc.end() : sc.end() + 60]
        acc = _ACCOUNT.search(window)
        if acc:
            out.append(Detection(sc.start(), sc.end() + acc.end(), "bank_account"))
    # A sort code and its account number are one piece of bank details: merge overlaps.
    merged: list[Detection] = []
    for d in sorted(out, key=lambda d: d.start):
        if merged and d.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Detection(last.start, max(last.end, d.end), "bank_account")
        else:
            merged.append(d)
    return merged
