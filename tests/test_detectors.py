"""Personal-data detectors: validated, not just pattern-shaped."""

from __future__ import annotations

import pytest

from bot.config import Organisation
from bot.detectors.pii import (
    find_bank_details,
    find_cards,
    find_credentials,
    find_dates_of_birth,
    find_emails,
    find_ibans,
    find_nhs_numbers,
    find_ninos,
    find_phones,
    find_postcodes,
    find_street_addresses,
)

ORG = Organisation(domains=["example.gov.uk"], phones=["0114 273 4567"])


def labels(found: list) -> list[str]:  # type: ignore[type-arg]
    return [d.label for d in found]


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("NHS 943 476 5919", True),
        ("9434765919", True),
        ("943 476 5918", False),
        ("0114 496 0123", False),
    ],
)
def test_nhs_number_mod11(text: str, hit: bool) -> None:
    assert bool(find_nhs_numbers(text, ORG)) is hit


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("AB 12 34 56 C", True),
        ("JG103759A", True),
        ("BG 12 34 56 A", False),
        ("DA 12 34 56 A", False),
        ("AB 12 34 56 E", False),
    ],
)
def test_nino_prefix_rules(text: str, hit: bool) -> None:
    assert bool(find_ninos(text, ORG)) is hit


@pytest.mark.parametrize(
    ("text", "hit"),
    [("4111 1111 1111 1111", True), ("4111-1111-1111-1112", False), ("5555555555554444", True)],
)
def test_cards_luhn(text: str, hit: bool) -> None:
    assert bool(find_cards(text, ORG)) is hit


def test_bank_details_and_iban() -> None:
    assert labels(find_bank_details("Sort code 20-00-00 account 55779911", ORG)) == ["bank_account"]
    assert labels(find_bank_details("Your account number is 40671228", ORG)) == ["bank_account"]
    assert find_bank_details("We raised 20,000 for 55 charities", ORG) == []
    assert labels(find_ibans("pay GB82 WEST 1234 5698 7654 32", ORG)) == ["iban"]
    assert labels(find_ibans("my iban is gb82west12345698765432", ORG)) == ["iban"]
    assert find_ibans("GB82 WEST 1234 5698 7654 33", ORG) == []


def test_dates_of_birth() -> None:
    assert labels(find_dates_of_birth("DOB 03/11/1979", ORG)) == ["date_of_birth"]
    assert labels(find_dates_of_birth("date of birth: 4 March 2012", ORG)) == ["date_of_birth"]
    assert labels(find_dates_of_birth("The NHS was born on 5 July 1948", ORG)) == ["born"]
    assert find_dates_of_birth("Open on 03/11/1979", ORG) == []


def test_emails_own_and_generic_allowed() -> None:
    assert find_emails("Email info@anything.org or hello@example.org.uk", ORG) == []
    assert find_emails("Email jane.doe@example.gov.uk", ORG) == []  # own domain
    assert labels(find_emails("mark.t.1990@hotmail.co.uk", ORG)) == ["webmail"]
    assert labels(find_emails("write to j.smith@supplier.com.", ORG)) == ["named"]
    assert find_emails("@user thanks", ORG) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 0300 123 4567", []),
        ("Ring 0800 555 0199 free", []),
        ("call 111 or 999", []),
        ("Call us on 0114 273 4567", []),  # configured
        ("Text me on 07700 900456", ["mobile"]),
        ("ring +44 7911 123456", ["mobile"]),
        ("Call Sue on 0114 496 0123", ["landline"]),
        ("fax +1-984-182-0190", ["international"]),
        ("Phone: 358 0594", ["unverified"]),
        ("In 2018 6,000 people came", []),
    ],
)
def test_phones(text: str, expected: list[str]) -> None:
    assert labels(find_phones(text, ORG)) == expected


def test_postcodes_and_addresses() -> None:
    assert labels(find_postcodes("Sheffield S10 1AA", ORG)) == ["postcode"]
    assert find_postcodes("the A1 road", ORG) == []
    assert labels(find_street_addresses("Tenant at 7 Rose Lane", ORG)) == ["street_address"]
    assert find_street_addresses("We are on Rose Lane", ORG) == []


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Wifi password for the staff network is Council2024!", True),
        ("the door code for the Ward 7 staff room is now 4471#", True),
        ("Key safe code for Mrs Ellis's front door is 1923", True),
        ("PIN: 4512", True),
        ("Use code SAM10 for 10% off", False),
        ("Forgotten your password? Reset it online.", False),
        ("Never share your password with anyone", False),
    ],
)
def test_credentials(text: str, hit: bool) -> None:
    assert bool(find_credentials(text, ORG)) is hit
