"""Redaction: typed placeholders out, the real values back in for the author."""

from __future__ import annotations

import pytest

from bot.config import Config, Organisation
from bot.llm.redaction import clean_with_map, redact
from bot.policy import load_policy
from bot.verdict import Finding, Severity

ORG = Organisation()


def first_names() -> list[str]:
    return load_policy(Config()).vocab["first_names"]


def finding(category: str) -> Finding:
    return Finding("x.y", category, Severity.DO_NOT_POST, None, None, None, "m", "s", "protocol#x")


@pytest.mark.parametrize(
    ("text", "secret", "placeholder"),
    [
        ("Text me on 07700 900456 tonight", "07700 900456", "[PHONE_1]"),
        ("Email jo.bloggs@hotmail.co.uk for tickets", "jo.bloggs@hotmail.co.uk", "[EMAIL_1]"),
        ("His NHS number is 943 476 5919", "943 476 5919", "[NHS_NUMBER_1]"),
        ("Her NI number is AB 12 34 56 C", "AB 12 34 56 C", "[NI_NUMBER_1]"),
        ("Card 4111 1111 1111 1111 exp 09/27", "4111 1111 1111 1111", "[CARD_NUMBER_1]"),
        (
            "Pay sort code 20-00-00 account 55779911",
            "20-00-00 account 55779911",
            "[BANK_ACCOUNT_1]",
        ),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32", "[IBAN_1]"),
        ("Her DOB 14/02/1987 is on file", "DOB 14/02/1987", "[DATE_OF_BIRTH_1]"),
        ("He lives at 27 Rowan Crescent", "27 Rowan Crescent", "[ADDRESS_1]"),
        ("Drop it at LS6 2QT today", "LS6 2QT", "[POSTCODE_1]"),
        ("The door code is 4821 for the side gate", "door code is 4821", "[CREDENTIAL_1]"),
    ],
)
def test_each_kind_of_personal_data_gets_a_typed_placeholder(
    text: str, secret: str, placeholder: str
) -> None:
    r = redact(text, org=ORG)
    assert secret not in r.text
    assert placeholder in r.text
    assert r.restore(r.text) == text


def test_title_is_kept_and_the_name_redacted() -> None:
    r = redact("Mrs Patel in bed 4 and Dr Okafor-Smith on ward 10", org=ORG)
    assert r.text == "Mrs [NAME_1] in bed 4 and Dr [NAME_2] on ward 10"
    assert r.values == {"NAME_1": "Patel", "NAME_2": "Okafor-Smith"}


def test_first_names_are_redacted_only_in_a_sensitive_context() -> None:
    text = "Well done Mia Roberts and Oliver from Class 4 at Oak Lane Primary!"
    calm = redact(text, org=ORG, first_names=first_names())
    assert "Mia" in calm.text  # nothing risky found: a name is just a name
    risky = redact(text, org=ORG, first_names=first_names(), findings=[finding("safeguarding")])
    assert "Mia" not in risky.text and "Roberts" not in risky.text and "Oliver" not in risky.text
    assert risky.text == "Well done [NAME_1] and [NAME_2] from Class 4 at Oak Lane Primary!"
    assert risky.restore(risky.text) == text
    style = redact(text, org=ORG, first_names=first_names(), findings=[finding("strategy")])
    assert "Mia" in style.text


def test_the_same_value_gets_the_same_placeholder() -> None:
    r = redact("Call 07700 900456. Yes, 07700 900456, or 07700 900789", org=ORG)
    assert r.text == "Call [PHONE_1]. Yes, [PHONE_1], or [PHONE_2]"


def test_placeholders_never_collide_with_text_the_author_typed() -> None:
    r = redact("Template says [PHONE_1]; real one is 07700 900456", org=ORG)
    assert "[PHONE_2]" in r.text
    assert r.restore("[PHONE_1] and [PHONE_2]") == "[PHONE_1] and 07700 900456"


def test_restore_tolerates_case_and_leaves_unknown_placeholders() -> None:
    r = redact("Text 07700 900456", org=ORG)
    assert r.restore("call [phone_1] or [EMAIL_9]") == "call 07700 900456 or [EMAIL_9]"


def test_invisible_characters_are_stripped_and_hidden_numbers_still_found() -> None:
    text = "Ring 07700\u200b900456 or n\u200bhs"
    r = redact(text, org=ORG)
    assert "\u200b" not in r.text
    assert "07700" not in r.text and "[PHONE_1]" in r.text
    cleaned, index = clean_with_map(text)
    assert cleaned == r.source and index is not None
    assert text[index[cleaned.index("or")]] == "o"


def test_organisation_public_numbers_are_not_personal_data() -> None:
    r = redact("Call us on 0300 123 4567 or 0800 555 0199", org=ORG)
    assert r.text == "Call us on 0300 123 4567 or 0800 555 0199"


def test_disabled_redaction_only_strips_invisible_characters() -> None:
    r = redact("Text\u200b me on 07700 900456", org=ORG, enabled=False)
    assert r.text == "Text me on 07700 900456"


def test_positions_map_from_source_to_redacted_text() -> None:
    r = redact("Hi Mrs Patel, ring 07700 900456 now", org=ORG)
    start = r.source.index("ring")
    end = len(r.source)
    assert r.slice(start, end) == "ring [PHONE_1] now"
    inside = r.source.index("900456")
    assert r.text[: r.to_text(inside)].endswith("[PHONE_1]")
