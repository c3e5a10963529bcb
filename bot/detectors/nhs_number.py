"""NHS numbers: ten digits (3-3-4) whose mod-11 check digit is right (``nhs_number``)."""

from __future__ import annotations

import re

from stdnum.gb import nhs as _nhs

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits

_NHS = re.compile(r"(?<![\w-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-])")


def find_nhs_numbers(text: str, org: Organisation) -> list[Detection]:
    """Ten digits (3-3-4) whose mod-11 check digit is right."""
    if _digits(text) < 10:
        return []
    out = []
    for m in _NHS.finditer(text):
        digits = "".join(m.groups())
        if digits[0] == "0" and digits.startswith(("01", "02", "03", "07", "08")):
            continue  # a UK phone number, not an NHS number
        if _nhs.is_valid(digits):
            out.append(Detection(m.start(), m.end(), "nhs_number"))
    return out
