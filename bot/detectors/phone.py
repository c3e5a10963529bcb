"""Phone numbers other than the organisation's public ones (``phone``), via ``phonenumbers``."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.detectors.base import count_digits as _digits
from bot.policy.programs import compile_regex  # kept programs, with start hints

# Number prefixes organisations publish: non-geographic, freephone, services.
_PUBLIC_PREFIXES = ("03", "080", "0845", "0844", "0843", "0870", "0871", "0872", "116", "111")
# Phone-like runs that phonenumbers did not recognise (foreign formats, typos).
_PHONE_LIKE = compile_regex(
    r"(?<![\w/.:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w/:-])"
    r"|(?<![\w/.:-])\+?\d{10,13}(?![\w/:-])"
)
_DATEISH = compile_regex(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")


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


_SEVEN_DIGITS = compile_regex(r"\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d")


_PHONE_WORDS = compile_regex(
    r"(?:tel|phone|call|ring|mobile|mob|fax|text|whatsapp|contact|number|desk|office|cell|landline)\W{0,3}(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


_PHONE_AFTER = compile_regex(
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
