"""A house number and a street name (``street_address``): someone's address, or a venue's."""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

_STREET = compile_regex(
    r"\b(?:flat\s+\d+[a-z]?,?\s+)?\d{1,4}[a-z]?,?\s+(?:[A-Z][a-z']+\s+){1,3}"
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Place|Pl|Grove|Gardens|Gdns|Terrace|Court|Ct|Square|Sq|Hill|Row|Walk|Mews|Park|View|Rise|Green|Parade|Boulevard|Blvd|Highway|Hwy|Circle|Trail|Loop|Plaza|Parkway|Pkwy|Estate)\b\.?"
    r"(?:,?\s+(?:Apt\.?|Suite|Unit)\s*\d+)?",
)


_STREET_HINT = compile_regex(
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Place|Pl|Grove|Gardens|Gdns|Terrace|Court|Ct|Square|Sq|Hill|Row|Walk|Mews|Park|View|Rise|Green|Parade|Boulevard|Blvd|Highway|Hwy|Circle|Trail|Loop|Plaza|Parkway|Pkwy|Estate)\b"
)


def find_street_addresses(text: str, org: Organisation) -> list[Detection]:
    """A house number and a street name: someone's address, or a venue's."""
    if _digits(text) == 0 or _STREET_HINT.search(text) is None:
        return []
    return [Detection(m.start(), m.end(), "street_address") for m in _STREET.finditer(text)]
