"""NHS numbers: ten digits (3-3-4) whose mod-11 check digit is right (``nhs_number``)."""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_NHS = compile_regex(r"(?<![\w-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-])")


def _mod11_valid(digits: str) -> bool:
    """``stdnum.gb.nhs.is_valid``, computed here for ASCII digits (stdnum costs ~30 ms to
    import, with ssl and pydoc, and a phone number in a long post is a candidate): ten
    digits, weights 10..1, the sum divisible by 11. Other digits go to stdnum, which
    folds some of them (fullwidth) first."""
    if not digits.isascii():
        from stdnum.gb import nhs

        return bool(nhs.is_valid(digits))
    if len(digits) != 10 or not digits.isdigit():
        return False
    return sum(i * int(n) for i, n in enumerate(reversed(digits), 1)) % 11 == 0


def find_nhs_numbers(text: str, org: Organisation) -> list[Detection]:
    """Ten digits (3-3-4) whose mod-11 check digit is right."""
    if _digits(text) < 10:
        return []
    out = []
    for m in _NHS.finditer(text):
        digits = "".join(m.groups())
        if digits[0] == "0" and digits.startswith(("01", "02", "03", "07", "08")):
            continue  # a UK phone number, not an NHS number
        if _mod11_valid(digits):
            out.append(Detection(m.start(), m.end(), "nhs_number"))
    return out
