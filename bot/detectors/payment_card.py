"""Payment card numbers: 13-19 digits passing the Luhn check (``payment_card``)."""

from __future__ import annotations

import re

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_CARD = compile_regex(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")


def find_cards(text: str, org: Organisation) -> list[Detection]:
    """13-19 digit card numbers that pass the Luhn check."""
    if _digits(text) < 13:
        return []
    out = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19 or digits[0] == "0":
            continue
        from stdnum import luhn as _luhn  # ~30 ms to import: only for a candidate

        if _luhn.is_valid(digits):
            out.append(Detection(m.start(), m.end(), "payment_card"))
    return out
