"""Full UK postcodes in the official upper-case format (``postcode``)."""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_POSTCODE_HINT = compile_regex(r"\d[A-Z]{2}\b")
_POSTCODE = compile_regex(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRVWXY]?) ?\d[ABD-HJLNP-UW-Z]{2})\b"
)


def find_postcodes(text: str, org: Organisation) -> list[Detection]:
    """Full UK postcodes (upper-case, the official format)."""
    if _digits(text) < 2 or _POSTCODE_HINT.search(text) is None:
        return []
    return [Detection(m.start(), m.end(), "postcode") for m in _POSTCODE.finditer(text)]
