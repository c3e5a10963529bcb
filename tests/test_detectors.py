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
        # "is"/"was" are whole words: "login issue" is not "login is sue"
        ("Update: the login issue has been fixed. Sorry for the wait.", False),
        ("The staff password isn't working on the ward PCs today", False),
        ("door code was 4521", True),
    ],
)
def test_credentials(text: str, hit: bool) -> None:
    assert bool(find_credentials(text, ORG)) is hit


# ----------------------------------------------------------------------------- the registry


def test_every_builtin_is_a_module_of_its_own_behind_the_registry() -> None:
    import importlib

    from bot import detectors

    assert set(detectors.names()) >= {
        "email", "phone", "nhs_number", "nino", "payment_card", "bank_account", "iban",
        "date_of_birth", "postcode", "street_address", "address", "credential",
    }  # fmt: skip
    for name in detectors.names():
        spec = detectors.get(name)
        module, _, attr = spec.target.partition(":")
        assert module == f"bot.detectors.{name}", name
        assert callable(getattr(importlib.import_module(module), attr))
        assert detectors.DETECTORS[name] is spec.function()


def test_the_policy_code_never_names_a_detector() -> None:
    """Issue 17: detectors are data to the rule engine, found through the registry."""
    import re
    from pathlib import Path

    from bot import detectors

    root = Path(__file__).resolve().parents[1] / "bot" / "policy"
    names = "|".join(map(re.escape, detectors.names()))
    quoted = re.compile(rf"""["']({names})["']""")
    for path in root.rglob("*.py"):
        hits = quoted.findall(path.read_text(encoding="utf-8"))
        assert not hits, f"{path} names detectors {hits}"


def test_an_outside_detector_registers_like_a_builtin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A rule can use a detector from outside the package once it is registered."""
    import shutil
    import sys

    from bot import Draft, detectors, load_config
    from bot.policy import clear_cache, default_policy_dir, load_policy
    from bot.review import review_rules

    pkg = tmp_path / "outside_detectors.py"
    pkg.write_text(
        "import re\n"
        "from bot.detectors import Detection\n"
        "_UTR = re.compile(r'\\bUTR\\s*:?\\s*(\\d{10})\\b')\n"
        "def find_utr(text, org):\n"
        "    return [Detection(m.start(), m.end(), 'utr') for m in _UTR.finditer(text)]\n",
        encoding="utf-8",
    )
    policy_dir = tmp_path / "policy"
    shutil.copytree(default_policy_dir(), policy_dir)
    (policy_dir / "packs" / "confidentiality" / "tax_reference.yaml").write_text(
        "kind: detector\n"
        "detector: tax_reference\n"
        "category: confidentiality\n"
        "severity: do_not_post\n"
        "message: A tax reference identifies a person.\n"
        "suggestion: Remove it.\n"
        "policy_ref: protocol#confidential-information\n"
        "examples:\n"
        "  flag: ['My UTR: 1234567890']\n"
        "  pass: ['Tax returns are due in January']\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        detectors.register(
            "tax_reference", "outside_detectors:find_utr", min_digits=10, words={"utr"}
        )
        clear_cache()
        cfg = load_config(None)
        policy = load_policy(cfg, directory=policy_dir)
        v = review_rules(Draft("My UTR: 1234567890"), config=cfg, policy=policy, layers=False)
        assert "confidentiality.tax_reference" in {f.rule for f in v.findings}
        v = review_rules(Draft("Call 1234567890 today"), config=cfg, policy=policy, layers=False)
        assert "confidentiality.tax_reference" not in {f.rule for f in v.findings}
    finally:
        sys.path.remove(str(tmp_path))
        detectors._REGISTRY.pop("tax_reference", None)
        clear_cache()


def test_unknown_detector_is_a_policy_error_naming_the_registered_ones() -> None:
    from bot.errors import PolicyError
    from bot.policy.model import build_matcher

    with pytest.raises(
        PolicyError, match="unknown detector 'nope'; allowed: address, bank_account"
    ):
        build_matcher({"detector": "nope"}, {}, lambda key: "rule.yaml:3")
