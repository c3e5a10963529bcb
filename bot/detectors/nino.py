"""National Insurance numbers with HMRC's prefix rules (``nino``)."""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_NINO = compile_regex(
    r"(?<![A-Za-z0-9])([A-Za-z]{2})\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?([A-Da-d])(?![A-Za-z0-9])"
)
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def find_ninos(text: str, org: Organisation) -> list[Detection]:
    """National Insurance numbers: two letters with HMRC's prefix rules, six digits, A-D."""
    if _digits(text) < 6:
        return []
    out = []
    for m in _NINO.finditer(text):
        prefix = m.group(1).upper()
        if prefix[0] in "DFIQUV" or prefix[1] in "DFIQUVO" or prefix in _NINO_BAD_PREFIX:
            continue
        out.append(Detection(m.start(), m.end(), "nino"))
    return out
