"""Redaction before the wire: personal data never leaves the process.

Before a draft (or a question) is sent to a model, everything that identifies
a person is replaced by a typed placeholder (``[PHONE_1]``, ``[EMAIL_1]``,
``[NHS_NUMBER_1]``, ``Mrs [NAME_1]``). The model still sees *that* a post
contains a phone number or names a patient, which is all it needs to judge
the risk; it never sees *which*. Placeholders are restored in the quotes and
the rewrite shown to the author, who wrote the data in the first place.

What is redacted:

- everything the validated detectors find (``bot.detectors``): emails,
  phone numbers, NHS and NI numbers, cards, bank details, IBANs, dates of
  birth, street addresses, postcodes, credentials;
- a title and the name after it (``Mrs Patel``, ``Cllr Jo Bloggs``): the
  title is kept, so the model knows a person is meant;
- first names (and a capitalised surname after one) when the rules found a
  confidentiality, safeguarding or legal risk in the draft: a name is
  harmless in "Happy retirement, Sue!" but personal data in a patient, child
  or care context, exactly where the rules fire.

The organisation's own public contact details are not personal data and the
detectors skip them, so the model still sees "call 0300 123 4567" as fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.config import Organisation
from bot.detectors import DETECTORS
from bot.text import prepare, strip_invisible
from bot.verdict import Finding

#: Detector name -> placeholder label, most specific first: on equal spans the first wins,
#: so a valid NHS number is not called a phone number. ``address`` is street_address + postcode.
DETECTOR_LABELS: dict[str, str] = {
    "nhs_number": "NHS_NUMBER",
    "nino": "NI_NUMBER",
    "payment_card": "CARD_NUMBER",
    "bank_account": "BANK_ACCOUNT",
    "iban": "IBAN",
    "date_of_birth": "DATE_OF_BIRTH",
    "credential": "CREDENTIAL",
    "email": "EMAIL",
    "street_address": "ADDRESS",
    "postcode": "POSTCODE",
    "phone": "PHONE",
}

#: Categories whose findings make names in the draft personal data worth hiding.
NAME_CONTEXT_CATEGORIES = frozenset({"confidentiality", "safeguarding", "legal"})

# A capitalised name: O'Brien and McDonald yes, the possessive of "Patel's" no.
_NAME_PART = r"[A-Z](?:[a-z]|'(?=[A-Z])|[A-Z](?=[a-z]))*[a-z]"
_NAME = rf"{_NAME_PART}(?:-{_NAME_PART})?"
_TITLE_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Cllr|Councillor|Nurse|Sister|Rev|Revd)\.?"
    rf"\s+({_NAME}(?:\s+{_NAME}){{0,2}})"
)
_PLACEHOLDER = re.compile(r"\[([A-Za-z]+(?:_[A-Za-z]+)*_\d+)\]")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One redacted span of the source text."""

    start: int
    end: int
    placeholder: str
    value: str


@dataclass(frozen=True, slots=True)
class Redaction:
    """The text sent to the model, and how to undo it.

    ``source`` is the draft with invisible characters removed; ``text`` is
    ``source`` with every replacement applied.
    """

    source: str
    text: str
    replacements: tuple[Replacement, ...] = ()
    values: dict[str, str] = field(default_factory=dict)

    def restore(self, s: str) -> str:
        """Put the personal data back (in quotes and the rewrite shown to the author)."""
        if not self.values or "[" not in s:
            return s

        def sub(m: re.Match[str]) -> str:
            return self.values.get(m.group(1).upper(), m.group(0))

        return _PLACEHOLDER.sub(sub, s)

    def to_text(self, pos: int) -> int:
        """Map a position in ``source`` to the matching position in ``text``."""
        shift = 0
        for r in self.replacements:
            if r.start >= pos:
                break
            if r.end > pos:  # inside a replaced span: snap to its end
                return r.start + shift + len(r.placeholder)
            shift += len(r.placeholder) - (r.end - r.start)
        return pos + shift

    def slice(self, start: int, end: int) -> str:
        """The redacted text of a ``source`` span (for rule quotes sent to the model)."""
        return self.text[self.to_text(start) : self.to_text(end)]


def clean_with_map(text: str) -> tuple[str, list[int] | None]:
    """Strip invisible characters, keeping each kept character's original index.

    The index list is None when nothing was stripped (the common case).
    """
    cleaned = strip_invisible(text)
    if len(cleaned) == len(text):
        return cleaned, None
    index: list[int] = []
    j = 0
    for i, ch in enumerate(text):
        if j < len(cleaned) and ch == cleaned[j]:
            index.append(i)
            j += 1
    return cleaned, index


@lru_cache(maxsize=8)
def _first_name_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    words = sorted({n for n in names if n.isalpha()}, key=len, reverse=True)
    if not words:
        return None
    alt = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w'])(?:{alt})(?:\s+{_NAME})?(?![\w])")


def _spans(
    source: str, org: Organisation, first_names: Sequence[str], names_in_context: bool
) -> list[tuple[int, int, str]]:
    prepared = prepare(source)
    norm = prepared.text
    found: list[tuple[int, int, int, str]] = []  # start, end, priority, label

    def add(start: int, end: int, label: str) -> None:
        s, e = prepared.to_original(start, end)
        if e > s:
            found.append((s, e, len(found), label))

    for name, label in DETECTOR_LABELS.items():
        for d in DETECTORS[name](norm, org):
            add(d.start, d.end, label)
    for m in _TITLE_NAME.finditer(norm):
        add(m.start(1), m.end(1), "NAME")
    if names_in_context:
        rx = _first_name_regex(tuple(first_names))
        if rx is not None:
            for m in rx.finditer(norm):
                add(m.start(), m.end(), "NAME")
    # Longest first at each position, then the more specific; drop what overlaps a kept span.
    found.sort(key=lambda t: (t[0], -(t[1] - t[0]), t[2]))
    kept: list[tuple[int, int, str]] = []
    for s, e, _, label in found:
        if kept and s < kept[-1][1]:
            if e > kept[-1][1] and (e - s) > (kept[-1][1] - kept[-1][0]):
                kept[-1] = (s, e, label)  # a longer span that starts inside wins
            continue
        kept.append((s, e, label))
    return kept


def redact(
    text: str,
    *,
    org: Organisation,
    first_names: Sequence[str] = (),
    findings: Iterable[Finding] = (),
    names_in_context: bool | None = None,
    enabled: bool = True,
) -> Redaction:
    """Replace personal data in ``text`` by typed placeholders.

    ``names_in_context`` forces first-name redaction on or off; by default it
    is on when ``findings`` include a confidentiality, safeguarding or legal
    risk. With ``enabled=False`` only invisible characters are removed.

    >>> r = redact("Text Jo on 07700 900123", org=Organisation())
    >>> r.text, r.restore(r.text) == "Text Jo on 07700 900123"
    ('Text Jo on [PHONE_1]', True)
    """
    source = strip_invisible(text)
    if not enabled or not source:
        return Redaction(source=source, text=source)
    if names_in_context is None:
        names_in_context = any(f.category in NAME_CONTEXT_CATEGORIES for f in findings)
    spans = _spans(source, org, first_names, names_in_context)
    if not spans:
        return Redaction(source=source, text=source)
    counters: dict[str, int] = {}
    by_value: dict[tuple[str, str], str] = {}
    values: dict[str, str] = {}
    replacements: list[Replacement] = []
    out: list[str] = []
    pos = 0
    for s, e, label in spans:
        value = source[s:e]
        placeholder = by_value.get((label, value))
        if placeholder is None:
            n = counters.get(label, 0)
            while True:
                n += 1
                placeholder = f"[{label}_{n}]"
                if placeholder not in source:  # never collide with text the author typed
                    break
            counters[label] = n
            by_value[(label, value)] = placeholder
            values[placeholder[1:-1]] = value
        out.append(source[pos:s])
        out.append(placeholder)
        replacements.append(Replacement(s, e, placeholder, value))
        pos = e
    out.append(source[pos:])
    return Redaction(
        source=source, text="".join(out), replacements=tuple(replacements), values=values
    )
