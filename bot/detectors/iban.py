"""International bank account numbers with a valid checksum (``iban``)."""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_IBAN = compile_regex(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]{4}){2,7}(?:\s?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])"
)


def find_ibans(text: str, org: Organisation) -> list[Detection]:
    """International bank account numbers with a valid checksum."""
    if _digits(text) < 8:
        return []
    out = []
    for m in _IBAN.finditer(text):
        # stdnum costs ~30 ms to import (it pulls in ssl and pydoc): only for a candidate.
        from stdnum import iban as _iban

        if _iban.is_valid(m.group(0).upper()):
            out.append(Detection(m.start(), m.end(), "iban"))
    return out
