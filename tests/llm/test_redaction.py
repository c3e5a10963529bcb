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
    calm = redact(
        "Happy retirement Mia Roberts, enjoy the garden!", org=ORG, first_names=first_names()
    )
    assert "Mia Roberts" in calm.text  # nothing sensitive: a name is just a name
    text = "Well done Mia Roberts and Oliver from Class 4 at Oak Lane Primary!"
    child = redact(text, org=ORG, first_names=first_names())  # "Class": a child context
    assert child.text == "Well done [NAME_1] and [NAME_2] from Class 4 at Oak Lane Primary!"
    assert child.restore(child.text) == text
    forced = redact(
        "Happy retirement Mia!", org=ORG, first_names=first_names(), findings=[finding("legal")]
    )
    assert "Mia" not in forced.text
    style = redact(
        "Happy retirement Mia!", org=ORG, first_names=first_names(), findings=[finding("strategy")]
    )
    assert "Mia" in style.text


def test_unknown_names_are_redacted_in_a_criminal_context_but_places_are_kept() -> None:
    r = redact("Tyrone Baptiste from the Elm Estate was in the cells again last night", org=ORG)
    assert r.text == "[NAME_1] from the Elm Estate was in the cells again last night"


def finding_at(text: str, quote: str, category: str, rule: str = "x.y") -> Finding:
    start = text.index(quote)
    return Finding(
        rule, category, Severity.DO_NOT_POST, start, start + len(quote), quote, "m", "s", "p#x"
    )


@pytest.mark.parametrize("category", ["confidentiality", "safeguarding", "legal"])
def test_every_span_a_sensitive_finding_quotes_is_replaced(category: str) -> None:
    text = "The Hartley inquest heard evidence about the night shift"
    r = redact(text, org=ORG, findings=[finding_at(text, "Hartley inquest", category)])
    assert "Hartley" not in r.text
    assert r.text.startswith(f"The [{category.upper()[:5]}")
    assert r.restore(r.text) == text


def test_other_findings_and_watch_findings() -> None:
    text = "Project Bluebird launches with a shouty headline"
    style = redact(text, org=ORG, findings=[finding_at(text, "shouty headline", "strategy")])
    assert "shouty headline" in style.text  # a style finding is not a secret
    watch = redact(
        text,
        org=ORG,
        findings=[finding_at(text, "Project Bluebird", "confidentiality", "watch.codename")],
    )
    assert watch.text == "[CODENAME_1] launches with a shouty headline"


def test_finding_offsets_follow_invisible_characters() -> None:
    text = "Ring\u200b Dr Li: the Hartley case"
    r = redact(text, org=ORG, findings=[finding_at(text, "Hartley case", "legal")])
    assert "Hartley" not in r.text and r.text.endswith("the [LEGAL_1]")


@pytest.mark.parametrize(
    ("text", "secret", "placeholder"),
    [
        # The measured leaks: identifiers that fail their checksum or prefix rules.
        ("Client NI number QQ 12 34 56 C needs urgent housing.", "QQ 12 34 56 C", "[NI_NUMBER_1]"),
        (
            "Card number 4929 1234 5678 9016 was left at the front desk.",
            "4929 1234 5678 9016",
            "[CARD_NUMBER_1]",
        ),
        (
            "Hospital number RXH 448812 keeps coming up as a duplicate record",
            "RXH 448812",
            "[HOSPITAL_NUMBER_1]",
        ),
        ("MRN: K4471 needs chasing", "K4471", "[HOSPITAL_NUMBER_1]"),
        ("account no. 0012 3456 is overdrawn", "0012 3456", "[ACCOUNT_1]"),
        ("quote ref 88/1234 when you call", "88/1234", "[REFERENCE_1]"),
        ("DOB 31 February 1990 on the form", "31 February 1990", "[DATE_OF_BIRTH_1]"),
        ("NHS number 123 456 7890 (wrong check digit)", "123 456 7890", "[NHS_NUMBER_1]"),
        ("IBAN GB00 WEST 1234 5698 7654 99 bounced", "GB00 WEST", "[IBAN_1]"),
        ("The code on file is 12 34 56", "12 34 56", "[NUMBER_1]"),
        ("Membership 99887766 lapsed", "99887766", "[NUMBER_1]"),
        ("write to jo.bloggs@yourorg-not-ours.example", "jo.bloggs", "[EMAIL_1]"),
        ("drop it at ls6 2qt please", "ls6 2qt", "[POSTCODE_1]"),
        ("ring 020 7946 0000 after six", "7946 0000", "[PHONE_1]"),
    ],
)
def test_identifiers_are_redacted_by_recall_not_validity(
    text: str, secret: str, placeholder: str
) -> None:
    r = redact(text, org=ORG)
    assert secret not in r.text, r.text
    assert placeholder in r.text, r.text
    assert r.restore(r.text) == text


def test_public_numbers_amounts_and_ordinals_are_left_alone() -> None:
    org = Organisation(phones=["0113 496 0000"])
    text = (
        "Call 0300 123 4567, 0800 555 0199 or 0113 496 0000: we raised £1250000 on the M6 4th time"
    )
    assert redact(text, org=org).text == text


def test_overlapping_spans_become_one_placeholder_so_nothing_leaks_beside_it() -> None:
    text = "Her DOB 14/02/1987 card 4929 1234"
    rule = finding_at(text, "1987 card 4929", "confidentiality")
    r = redact(text, org=ORG, findings=[rule])
    assert "1987" not in r.text and "4929" not in r.text and "1234" not in r.text
    assert r.restore(r.text) == text


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
