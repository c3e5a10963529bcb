"""The personal-data detectors under their earlier module name (one module each now).

New code should go through the registry in :mod:`bot.detectors`.
"""

from __future__ import annotations

from bot.detectors.address import find_addresses
from bot.detectors.bank_account import find_bank_details
from bot.detectors.base import Detection, Detector
from bot.detectors.credential import find_credentials
from bot.detectors.date_of_birth import find_dates_of_birth
from bot.detectors.email import GENERIC_MAILBOXES, WEBMAIL_DOMAINS, find_emails
from bot.detectors.iban import find_ibans
from bot.detectors.nhs_number import find_nhs_numbers
from bot.detectors.nino import find_ninos
from bot.detectors.payment_card import find_cards
from bot.detectors.phone import find_phones
from bot.detectors.postcode import find_postcodes
from bot.detectors.street_address import find_street_addresses

__all__ = [
    "GENERIC_MAILBOXES",
    "WEBMAIL_DOMAINS",
    "Detection",
    "Detector",
    "find_addresses",
    "find_bank_details",
    "find_cards",
    "find_credentials",
    "find_dates_of_birth",
    "find_emails",
    "find_ibans",
    "find_nhs_numbers",
    "find_ninos",
    "find_phones",
    "find_postcodes",
    "find_street_addresses",
]
