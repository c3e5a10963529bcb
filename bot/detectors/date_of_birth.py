"""A date given as someone's date of birth (``date_of_birth``); a bare date is not personal."""

from __future__ import annotations

import re

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d{2}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})"
)
_DOB = compile_regex(
    r"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birthday(?:\s+is)?|born(?=\s*:?\s*\d{1,2}[/.-]))\s*[:\-]?\s*(?:is\s+|on\s+)?("
    + _DATE
    + r")",
    re.IGNORECASE,
)
# "was born on 5 July 1948": often history, sometimes a person's birthday.
_BORN = compile_regex(r"\bborn\s+(?:on\s+)?(" + _DATE + r")", re.IGNORECASE)


_DOB_HINT = compile_regex(r"d\.?o\.?b|birth|born|b\.", re.IGNORECASE)


def find_dates_of_birth(text: str, org: Organisation) -> list[Detection]:
    """A date given as someone's date of birth (a bare date is not personal)."""
    if _digits(text) < 2 or _DOB_HINT.search(text) is None:
        return []
    out = [Detection(m.start(), m.end(), "date_of_birth") for m in _DOB.finditer(text)]
    out += [
        Detection(m.start(), m.end(), "born")
        for m in _BORN.finditer(text)
        if not any(d.start <= m.start() < d.end for d in out)
    ]
    return out
