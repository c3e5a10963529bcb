"""Street addresses and postcodes together (``address``): an address written either way.

Registered as the union of ``street_address`` and ``postcode`` so the rule engine
reuses those two detectors' results for the draft instead of running them again.
"""

from __future__ import annotations

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.postcode import find_postcodes
from bot.detectors.street_address import find_street_addresses


def find_addresses(text: str, org: Organisation) -> list[Detection]:
    """Street addresses and postcodes together, in order of position."""
    found = find_street_addresses(text, org) + find_postcodes(text, org)
    return sorted(found, key=lambda d: d.start)
