"""Personal-data detectors: the checks a regular expression cannot do alone.

Each detector finds candidates with a compiled pattern, then *validates* them
(check digits, number plans, allowed prefixes) so that a 10-digit order number
is not called an NHS number. Where the field has a library we use it:
``phonenumbers`` for phone numbers, ``python-stdnum`` for Luhn, IBAN and the
NHS number's mod-11 check.

The organisation's own public contact details (its domains, generic
mailboxes such as info@, 0300/0800 numbers, configured numbers) are never
reported: posting them is the point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from stdnum import iban as _iban
from stdnum import luhn as _luhn
from stdnum.gb import nhs as _nhs

from bot.config import Organisation


@dataclass(frozen=True, slots=True)
class Detection:
    """A validated span: ``label`` says what it is (``mobile``, ``webmail``...)."""

    start: int
    end: int
    label: str


Detector = Callable[[str, Organisation], list[Detection]]

# ---------------------------------------------------------------- email

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")

_EMAIL_HINT = re.compile(r"\w@[A-Za-z0-9-]+\.[A-Za-z]")

#: Local parts that name a role, not a person: a public mailbox.
GENERIC_MAILBOXES = frozenset(
    [
        "info",
        "enquiries",
        "enquiry",
        "hello",
        "contact",
        "contactus",
        "press",
        "media",
        "news",
        "comms",
        "communications",
        "office",
        "admin",
        "support",
        "help",
        "helpdesk",
        "feedback",
        "complaints",
        "bookings",
        "booking",
        "events",
        "team",
        "customerservices",
        "customer.services",
        "customerservice",
        "service",
        "services",
        "reception",
        "marketing",
        "sales",
        "jobs",
        "careers",
        "recruitment",
        "volunteer",
        "volunteers",
        "volunteering",
        "donations",
        "fundraising",
        "membership",
        "members",
        "webmaster",
        "noreply",
        "no-reply",
        "newsletter",
        "general",
        "mail",
        "accounts",
        "finance",
        "invoices",
        "foi",
        "dpo",
        "privacy",
        "dataprotection",
        "safeguarding",
        "pals",
        "library",
        "libraries",
        "housing",
        "planning",
        "council",
        "licensing",
    ]
)

#: Free webmail providers: an address there is a person's own.
WEBMAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "outlook.com",
        "outlook.co.uk",
        "live.com",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "aol.com",
        "aol.co.uk",
        "icloud.com",
        "me.com",
        "mac.com",
        "btinternet.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "ntlworld.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.co.uk",
        "mail.com",
        "zoho.com",
        "tiscali.co.uk",
        "blueyonder.co.uk",
    ]
)


def _own_domain(domain: str, org: Organisation) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in org.domains)


def find_emails(text: str, org: Organisation) -> list[Detection]:
    """Email addresses that are not the organisation's public mailboxes."""
    at = text.find("@")
    if at < 1:
        at = text.find("@", 1) if at == 0 else -1
        if at < 1:
            return []
    if _EMAIL_HINT.search(text, at - 1) is None:
        return []
    out: list[Detection] = []
    for m in _EMAIL.finditer(text, max(0, at - 64)):
        address = m.group(0).rstrip(".").lower()
        local, _, domain = address.partition("@")
        end = m.start() + len(address)
        if address in org.emails:
            continue
        if domain in WEBMAIL_DOMAINS:
            out.append(Detection(m.start(), end, "webmail"))
        elif _own_domain(domain, org) or local in GENERIC_MAILBOXES:
            continue
        else:
            out.append(Detection(m.start(), end, "named"))
    return out


# ---------------------------------------------------------------- phone

# Number prefixes organisations publish: non-geographic, freephone, services.
_PUBLIC_PREFIXES = ("03", "080", "0845", "0844", "0843", "0870", "0871", "0872", "116", "111")
# Phone-like runs that phonenumbers did not recognise (foreign formats, typos).
_PHONE_LIKE = re.compile(
    r"(?<![\w/.:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w/:-])"
    r"|(?<![\w/.:-])\+?\d{10,13}(?![\w/:-])"
)
_DATEISH = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")


@lru_cache(maxsize=64)
def _configured_numbers(phones: tuple[str, ...]) -> frozenset[str]:
    import phonenumbers

    out: set[str] = set()
    for p in phones:
        try:
            num = phonenumbers.parse(p, "GB")
            out.add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
        except phonenumbers.NumberParseException:
            out.add(re.sub(r"\D", "", p))
    return frozenset(out)


_SEVEN_DIGITS = re.compile(r"\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d")


def _digits(s: str) -> int:
    """How many ASCII digits ``s`` has: ten C-level counts, no per-character Python loop."""
    return sum(map(s.count, "0123456789"))


_PHONE_WORDS = re.compile(
    r"(?:tel|phone|call|ring|mobile|mob|fax|text|whatsapp|contact|number|desk|office|cell|landline)\W{0,3}(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


_PHONE_AFTER = re.compile(
    r"^\W{0,3}(?:office|mobile|mob|fax|desk|tel|phone|home|work|cell|landline)\b", re.IGNORECASE
)


def _phone_context(text: str, start: int, digits: int, end: int | None = None) -> bool:
    """An unrecognised number counts when it is long, or labelled as a phone number."""
    if digits >= 9 or _PHONE_WORDS.search(text[max(0, start - 30) : start]) is not None:
        return True
    return end is not None and _PHONE_AFTER.match(text[end : end + 15]) is not None


def find_phones(text: str, org: Organisation) -> list[Detection]:
    """Phone numbers other than the organisation's public ones.

    Labels: ``mobile`` (a GB mobile: personal), ``landline`` (a GB geographic
    number, possibly the organisation's own switchboard), ``international``,
    ``unverified`` (looks like a phone number but no numbering plan accepts it).
    """
    if _digits(text) < 7 or _SEVEN_DIGITS.search(text) is None:
        return []  # PhoneNumberMatcher is slow; most drafts have no phone-like digit run
    # Imported here: phonenumbers costs ~40 ms to import and most drafts never need it.
    import phonenumbers

    allowed = _configured_numbers(tuple(org.phones))
    out: list[Detection] = []
    taken: list[tuple[int, int]] = []
    for match in phonenumbers.PhoneNumberMatcher(
        text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
    ):
        num = match.number
        e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        taken.append((match.start, match.end))
        if e164 in allowed:
            continue
        national = phonenumbers.national_significant_number(num)
        if num.country_code == 44:
            valid = phonenumbers.is_valid_number(num)
            kind = phonenumbers.number_type(num)
            if valid and (
                ("0" + national).startswith(_PUBLIC_PREFIXES)
                or kind
                in (
                    phonenumbers.PhoneNumberType.TOLL_FREE,
                    phonenumbers.PhoneNumberType.UAN,
                    phonenumbers.PhoneNumberType.SHARED_COST,
                )
            ):
                continue  # 03/080/084x numbers are what organisations publish
            if national in ("111", "999", "101", "112", "116123"):
                continue
            if kind in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.PAGER,
                phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
            ) or (national.startswith("7") and len(national) == 10):
                # 07... is a mobile or personal number even in Ofcom's drama ranges.
                label = "mobile"
            elif valid:
                label = "landline"
            else:
                label = "unverified"
                if not _phone_context(text, match.start, _digits(match.raw_string), match.end):
                    continue
        else:
            label = "international"
        out.append(Detection(match.start, match.end, label))
    for m in _PHONE_LIKE.finditer(text):
        inside = [d for d in out if m.start() <= d.start and d.end <= m.end()]
        if inside and all(d.end - d.start < m.end() - m.start() for d in inside):
            # phonenumbers recognised only part of a longer number: report the whole run.
            out = [d for d in out if d not in inside]
            taken = [(s, e) for s, e in taken if not (m.start() <= s and e <= m.end())]
        if any(m.start() < e and s < m.end() for s, e in taken):
            continue
        raw = m.group(0)
        n = _digits(raw)
        if n < 7 or n > 15 or _DATEISH.match(raw.strip()):
            continue
        if re.sub(r"\D", "", raw) in allowed or not _phone_context(text, m.start(), n, m.end()):
            continue
        out.append(Detection(m.start(), m.end(), "unverified"))
    return out


# ---------------------------------------------------------------- NHS number

_NHS = re.compile(r"(?<![\w-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-])")


def find_nhs_numbers(text: str, org: Organisation) -> list[Detection]:
    """Ten digits (3-3-4) whose mod-11 check digit is right."""
    if _digits(text) < 10:
        return []
    out = []
    for m in _NHS.finditer(text):
        digits = "".join(m.groups())
        if digits[0] == "0" and digits.startswith(("01", "02", "03", "07", "08")):
            continue  # a UK phone number, not an NHS number
        if _nhs.is_valid(digits):
            out.append(Detection(m.start(), m.end(), "nhs_number"))
    return out


# ---------------------------------------------------------------- National Insurance number

_NINO = re.compile(
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


# ---------------------------------------------------------------- payment cards

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")


def find_cards(text: str, org: Organisation) -> list[Detection]:
    """13-19 digit card numbers that pass the Luhn check."""
    if _digits(text) < 13:
        return []
    out = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19 or digits[0] == "0":
            continue
        if _luhn.is_valid(digits):
            out.append(Detection(m.start(), m.end(), "payment_card"))
    return out


# ---------------------------------------------------------------- bank details

_SORT_CODE = re.compile(r"(?<![\d-])(\d{2})[- ](\d{2})[- ](\d{2})(?![\d-])|(?<!\d)\d{6}(?!\d)")
_ACCOUNT = re.compile(r"(?<!\d)\d{8}(?!\d)|(?<!\d)\d{4}[ -]\d{4}(?!\d)")
_BANK_WORDS = re.compile(r"\b(?:sort[\s-]?code|account|acct|a/c|bank)\b", re.IGNORECASE)


_ACCOUNT_NUMBER = re.compile(
    r"\b(?:bank\s+)?(?:account|acct|a/c)\s*(?:number|no\.?|num|#)?\s*(?:is\s*)?[:\-]?\s*\d{8}(?!\d)",
    re.IGNORECASE,
)


def find_bank_details(text: str, org: Organisation) -> list[Detection]:
    """A UK sort code with an account number nearby, or an account number given as such."""
    if _digits(text) < 8 or _BANK_WORDS.search(text) is None:
        return []
    out = [Detection(m.start(), m.end(), "bank_account") for m in _ACCOUNT_NUMBER.finditer(text)]
    if _digits(text) < 14:
        return out
    for sc in _SORT_CODE.finditer(text):
        if sc.group(1) is None and "sort" not in text.lower():
            continue
        window = text[sc.end() : sc.end() + 60]
        acc = _ACCOUNT.search(window)
        if acc:
            out.append(Detection(sc.start(), sc.end() + acc.end(), "bank_account"))
    # A sort code and its account number are one piece of bank details: merge overlaps.
    merged: list[Detection] = []
    for d in sorted(out, key=lambda d: d.start):
        if merged and d.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Detection(last.start, max(last.end, d.end), "bank_account")
        else:
            merged.append(d)
    return merged


_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]{4}){2,7}(?:\s?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])"
)


def find_ibans(text: str, org: Organisation) -> list[Detection]:
    """International bank account numbers with a valid checksum."""
    if _digits(text) < 8:
        return []
    out = []
    for m in _IBAN.finditer(text):
        if _iban.is_valid(m.group(0).upper()):
            out.append(Detection(m.start(), m.end(), "iban"))
    return out


# ---------------------------------------------------------------- dates of birth

_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d{2}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})"
)
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birthday(?:\s+is)?|born(?=\s*:?\s*\d{1,2}[/.-]))\s*[:\-]?\s*(?:is\s+|on\s+)?("
    + _DATE
    + r")",
    re.IGNORECASE,
)
# "was born on 5 July 1948": often history, sometimes a person's birthday.
_BORN = re.compile(r"\bborn\s+(?:on\s+)?(" + _DATE + r")", re.IGNORECASE)


_DOB_HINT = re.compile(r"d\.?o\.?b|birth|born|b\.", re.IGNORECASE)


def find_dates_of_birth(text: str, org: Organisation) -> list[Detection]:
    """A date given as someone's date of birth (a bare date is not personal)."""
    if _digits(text) < 2 or _DOB_HINT.search(text) is None:
        return []
    out = [Detection(m.start(), m.end(), "date_of_birth") for m in _DOB.finditer(text)]
    out += [
        Detection(m.start(), m.end(), "born")
        for m in _BORN.finditer(text)
        if not any(d.start <= m.start() < d.end for d in out)
    ]
    return out


# ---------------------------------------------------------------- postcodes and addresses

_POSTCODE_HINT = re.compile(r"\d[A-Z]{2}\b")
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRVWXY]?) ?\d[ABD-HJLNP-UW-Z]{2})\b"
)
_STREET = re.compile(
    r"\b(?:flat\s+\d+[a-z]?,?\s+)?\d{1,4}[a-z]?,?\s+(?:[A-Z][a-z']+\s+){1,3}"
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Place|Pl|Grove|Gardens|Gdns|Terrace|Court|Ct|Square|Sq|Hill|Row|Walk|Mews|Park|View|Rise|Green|Parade|Boulevard|Blvd|Highway|Hwy|Circle|Trail|Loop|Plaza|Parkway|Pkwy|Estate)\b\.?"
    r"(?:,?\s+(?:Apt\.?|Suite|Unit)\s*\d+)?",
)


_STREET_HINT = re.compile(
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Crescent|Cres|Place|Pl|Grove|Gardens|Gdns|Terrace|Court|Ct|Square|Sq|Hill|Row|Walk|Mews|Park|View|Rise|Green|Parade|Boulevard|Blvd|Highway|Hwy|Circle|Trail|Loop|Plaza|Parkway|Pkwy|Estate)\b"
)


def find_postcodes(text: str, org: Organisation) -> list[Detection]:
    """Full UK postcodes (upper-case, the official format)."""
    if _digits(text) < 2 or _POSTCODE_HINT.search(text) is None:
        return []
    return [Detection(m.start(), m.end(), "postcode") for m in _POSTCODE.finditer(text)]


def find_street_addresses(text: str, org: Organisation) -> list[Detection]:
    """A house number and a street name: someone's address, or a venue's."""
    if _digits(text) == 0 or _STREET_HINT.search(text) is None:
        return []
    return [Detection(m.start(), m.end(), "street_address") for m in _STREET.finditer(text)]


# ---------------------------------------------------------------- credentials

_CREDENTIAL = re.compile(
    r"\b(?:(?:wi-?fi|network|staff|admin|login|account|system|email|door|gate|key\s*safe|keysafe|alarm|entry|access|safe|lock|locker|padlock|building)\s+)?"
    r"(?:password|passcode|passwd|pass\s*word|pw|pwd|pin(?:\s*(?:code|number))?|code|passphrase|combination|login)"
    r"(?:\s+(?:for|to|on)\s+(?:the\s+)?[\w\s'\u2019-]{1,40}?)?\s*(?:is|:|=|-|was|will\s+be|has\s+changed\s+to|changed\s+to)\s*(?:now\s+|still\s+|currently\s+)?['\"]?([^\s'\",]{3,40})",
    re.IGNORECASE,
)
_CREDENTIAL_WORDS = re.compile(
    r"\b(?:password|passcode|passwd|pwd?\b|pin|code|combination|login)", re.IGNORECASE
)


def find_credentials(text: str, org: Organisation) -> list[Detection]:
    """Passwords, PINs and door codes given with their value."""
    if _CREDENTIAL_WORDS.search(text) is None or len(text) < 8:
        return []
    out = []
    for m in _CREDENTIAL.finditer(text):
        value = m.group(1)
        head = text[m.start() : m.start(1)].lower()
        bare_code = "code" in head and not any(
            w in head
            for w in (
                "door",
                "gate",
                "key",
                "alarm",
                "entry",
                "access",
                "safe",
                "pin",
                "wi",
                "pass",
                "lock",
                "building",
            )
        )
        if bare_code:
            continue  # "use code SAM10" is a discount code, not a secret
        if value.lower().rstrip(".") in {
            "the",
            "a",
            "an",
            "your",
            "my",
            "our",
            "not",
            "required",
            "needed",
            "reset",
            "changing",
            "changed",
            "expired",
            "secure",
            "private",
        }:
            continue
        if not any(c.isdigit() for c in value) and "pass" not in head and "login" not in head:
            continue
        out.append(Detection(m.start(), m.end(), "credential"))
    return out


def find_addresses(text: str, org: Organisation) -> list[Detection]:
    """Street addresses and postcodes together (an address written either way)."""
    found = find_street_addresses(text, org) + find_postcodes(text, org)
    return sorted(found, key=lambda d: d.start)


#: Cheap preconditions per detector: (minimum ASCII digits, words of which one must appear).
#: Checked by the rule engine before calling the detector at all: most drafts
#: have no digits and no '@', and pay nothing for personal-data detection.
PRECONDITIONS: dict[str, tuple[int, frozenset[str] | None]] = {
    "email": (0, None),
    "phone": (7, None),
    "nhs_number": (10, None),
    "nino": (6, None),
    "payment_card": (13, None),
    "bank_account": (8, None),
    "iban": (8, None),
    "date_of_birth": (2, frozenset({"dob", "d", "birth", "born", "birthday", "b"})),
    "postcode": (2, None),
    "street_address": (1, None),
    "address": (1, None),
    "credential": (
        0,
        frozenset(
            {
                "password",
                "passcode",
                "passwd",
                "pw",
                "pwd",
                "pin",
                "code",
                "combination",
                "login",
                "passphrase",
                "passwords",
                "codes",
                "pins",
            }
        ),
    ),
}


#: The closed set of detectors rules may name (``kind: detector``).
DETECTORS: dict[str, Detector] = {
    "email": find_emails,
    "phone": find_phones,
    "nhs_number": find_nhs_numbers,
    "nino": find_ninos,
    "payment_card": find_cards,
    "bank_account": find_bank_details,
    "iban": find_ibans,
    "date_of_birth": find_dates_of_birth,
    "postcode": find_postcodes,
    "street_address": find_street_addresses,
    "address": find_addresses,
    "credential": find_credentials,
}
