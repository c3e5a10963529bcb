"""Redaction before the wire: personal data never leaves the process.

Before a draft (or a question) is sent to a model, everything that could
identify a person is replaced by a typed placeholder (``[PHONE_1]``,
``[CARD_NUMBER_1]``, ``Mrs [NAME_1]``, ``[CONFIDENTIAL_1]``). The model still
sees *that* a post contains a card number or names a patient, which is all it
needs to judge the risk; it never sees *which*. Placeholders are restored in
the quotes and the rewrite shown to the author, who wrote the data anyway.

Redaction works by **recall, not validity**: a card number with a wrong Luhn
digit, an NI number with the ``QQ`` prefix or a hospital number in a local
format is still someone's identifier, so nothing here depends on a checksum.
What is replaced:

- every span a confidentiality, safeguarding or legal finding quotes, and
  every watch-list term or finding, named by its kind (``[CONFIDENTIAL_1]``,
  ``[CODENAME_1]``, ``[INJUNCTION_1]``); the list itself never goes out;
- labelled identifiers with the value after them: "NI number QQ 12 34 56 C",
  "card number ...", "hospital number RXH 448812", "account", "ref", "MRN",
  "DOB" (:data:`IDENTIFIER_LABELS`);
- any run of 6 or more digits, grouped or not (``12 34 56``, ``4929-1234``),
  except the organisation's own numbers and UK public service numbers
  (0300, 0800, 0845...), which are published on purpose;
- emails (except the organisation's own), phone numbers, UK postcodes in any
  case, street addresses, dates of birth, credentials (the detectors, plus
  recall patterns that skip their validation);
- a title and the name after it (``Mrs Patel``): the title is kept;
- in a personal-data, criminal, patient, child or care context (a word such
  as "cells", "ward", "pupil", "foster", or a confidentiality, safeguarding or
  legal finding), first names from the vocabulary and any run of two or three
  capitalised words that is not a place or organisation word ("Tyrone
  Baptiste", but not "Elm Estate").

Overlapping spans are merged into one placeholder, so no fragment of a value
leaks beside it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.config import Organisation
from bot.detectors import DETECTORS
from bot.policy.model import STOPWORDS
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

#: Categories whose findings are redacted whole, and make names in the draft personal data.
NAME_CONTEXT_CATEGORIES = frozenset({"confidentiality", "safeguarding", "legal"})
#: Placeholder label for the span of a finding of each redacted category.
FINDING_LABELS: dict[str, str] = {
    "confidentiality": "CONFIDENTIAL",
    "safeguarding": "SAFEGUARDING",
    "legal": "LEGAL",
}

# A capitalised name: O'Brien and McDonald yes, the possessive of "Patel's" no.
_NAME_PART = r"[A-Z](?:[a-z]|'(?=[A-Z])|[A-Z](?=[a-z]))*[a-z]"
_NAME = rf"{_NAME_PART}(?:-{_NAME_PART})?"
_TITLE_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Cllr|Councillor|Nurse|Sister|Rev|Revd)\.?"
    rf"\s+({_NAME}(?:\s+{_NAME}){{0,2}})"
)

#: Identifier labels (matched in any case) and the placeholder each value gets.
#: The label is replaced with its value: "[NI_NUMBER_1] needs urgent housing".
IDENTIFIER_LABELS: tuple[tuple[str, str], ...] = (
    (r"national\s+insurance|nino|n\.?i\.?(?=\s*(?:no\b|number|num\b|#))|ni", "NI_NUMBER"),
    (r"nhs|chi", "NHS_NUMBER"),
    (r"(?:credit|debit|bank|payment)\s+card|card", "CARD_NUMBER"),
    (r"hospital|unit|patient|mrn", "HOSPITAL_NUMBER"),
    (r"sort\s*code", "BANK_ACCOUNT"),
    (r"iban", "IBAN"),
    (r"account|acct|a/c|bank", "ACCOUNT"),
    (r"passport|driving\s+licen[cs]e|licen[cs]e", "ID_NUMBER"),
    (
        r"(?:case|crime|incident|claim|complaint|tenancy|client|customer|member|membership|"
        r"staff|employee|payroll|student|pupil|policy|booking|order|ticket|referral|police|"
        r"benefit|council\s+tax)(?=\s*(?:ref|no\b|number|num\b|id\b|#|:))|ref|reference|id",
        "REFERENCE",
    ),
    (r"d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?", "DATE_OF_BIRTH"),
    (r"pin|passcode|password|door\s+code|code", "CREDENTIAL"),
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# One token of an identifier's value: has a digit, or is a short upper-case block (QQ, RXH, C).
_VALUE_TOKEN = rf"(?:[A-Za-z]{{0,4}}\d[\w/.\-]*|[A-Z]{{1,4}}\b|{_MONTH}\b)"
_LABELLED = re.compile(
    r"(?i:\b(?:"
    + "|".join(f"(?P<L{i}>{rx})" for i, (rx, _) in enumerate(IDENTIFIER_LABELS))
    + r")\b\.?\s*(?:ref(?:erence)?\b|no\b\.?|number\b|num\b|id\b|#|details\b)?\s*"
    r"(?:is\b|was\b|:|=|-|of\b|reads\b)?\s*)"
    rf"(?P<value>{_VALUE_TOKEN}(?:[ \-]{_VALUE_TOKEN}){{0,7}})"
)
# Six or more digits, grouped by single spaces or hyphens or not at all.
_DIGIT_RUN = re.compile(r"(?<![\w£$€])\d(?:[ \-]?\d){5,}(?![\w])")
# UK non-geographic numbers organisations publish (never one person's).
_PUBLIC_NUMBER = re.compile(r"(?:03\d{8,9}|08[0457]\d{7,8}|0500\d{6}|116\d{3}|111)")
# Any address-shaped email, whatever its domain.
_ANY_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# UK postcodes in any case ("ls6 2qt"), but not "M6 4th".
_ANY_POSTCODE = re.compile(r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d(?!(?:st|nd|rd|th)\b)[A-Za-z]{2}\b")

#: Words that say a person mentioned nearby is in a sensitive situation.
CONTEXT_WORDS: tuple[str, ...] = (
    # criminal
    "arrest*",
    "cells",
    "custody",
    "police",
    "charged",
    "convicted",
    "prison",
    "jail*",
    "court",
    "trial",
    "offence*",
    "offender*",
    "crime*",
    "criminal*",
    "nicked",
    "bail",
    "probation",
    "stabb*",
    "assault*",
    "burglar*",
    "theft",
    "stole*",
    "drugs",
    "dealer*",
    "sentenced",
    "remand*",
    "victim*",
    "suspect*",
    "accused",
    "caution*",
    "prosecut*",
    "abuse*",
    "rape*",
    # patient
    "patient*",
    "ward",
    "bed",
    "bay",
    "hospital",
    "a&e",
    "ambulance",
    "diagnos*",
    "scan",
    "surgery",
    "operation",
    "stroke",
    "cancer",
    "dementia",
    "sectioned",
    "discharged",
    "admitted",
    "treatment",
    "clinic",
    "gp",
    "medication",
    "overdose",
    "pregnan*",
    "illness",
    "mental health",
    "terminal*",
    "hospice",
    "icu",
    "maternity",
    # child
    "child*",
    "kid*",
    "pupil*",
    "school*",
    "class",
    "year",
    "nursery",
    "toddler*",
    "baby",
    "babies",
    "son",
    "daughter",
    "teen*",
    "aged",
    "student*",
    "boy",
    "girl",
    "youngster*",
    # care
    "care",
    "carer*",
    "foster*",
    "looked after",
    "social worker*",
    "social services",
    "safeguarding",
    "vulnerable",
    "adopt*",
    "respite",
    "homeless*",
    "refuge",
    "benefit*",
    "housing",
    "evict*",
    "debt*",
    "domestic",
    # personal data
    "address",
    "lives",
    "phone",
    "mobile",
    "email",
    "dob",
    "birthday",
    "nhs number",
    "ni number",
    "record*",
    "file",
    "case",
)
_CONTEXT = re.compile(
    r"(?i)(?<![\w&])(?:"
    + "|".join(
        re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in CONTEXT_WORDS
    )
    + r")(?![\w&])"
)
#: Capitalised words that are not names: places, organisations, time, greetings.
NOT_NAMES = frozenset(
    """road street lane avenue close drive way crescent place grove gardens terrace court
    square hill row walk mews park view rise green parade estate primary school academy
    college university nursery hospital ward unit clinic surgery centre center council trust
    nhs police station church chapel mosque temple library hall house home care team service
    services department year class group club union fund foundation charity company ltd plc
    city town village county borough street north south east west upper lower great little
    saint st new old royal general community health social children family families
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december christmas easter today
    tomorrow yesterday tonight morning evening happy thanks thank well congratulations
    welcome great good huge big massive proud lovely sad rip remember please dear hello hi
    england scotland wales ireland britain uk london mr mrs ms miss mx dr prof professor sir
    dame cllr councillor nurse sister rev revd""".split()  # noqa: SIM905
)
_CAPITALISED_RUN = re.compile(rf"\b{_NAME}(?:\s+{_NAME})+\b")
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


def sensitive_context(text: str) -> bool:
    """True when the text speaks of crime, patients, children, care or personal data."""
    return _CONTEXT.search(text) is not None


def _digits_of(s: str) -> str:
    return re.sub(r"\D", "", s)


def _public_number(digits: str, org: Organisation) -> bool:
    """The organisation's own numbers and UK public service numbers are published on purpose."""
    if _PUBLIC_NUMBER.fullmatch(digits):
        return True
    for phone in org.phones:
        own = _digits_of(phone)
        if own and (digits == own or (len(own) >= 10 and digits.endswith(own[-10:]))):
            return True
    return False


def _own_email(address: str, org: Organisation) -> bool:
    address = address.lower()
    domain = address.rpartition("@")[2]
    if address in (e.lower() for e in org.emails):
        return True
    return any(domain == d or domain.endswith("." + d) for d in org.domains)


def _name_runs(norm: str) -> list[tuple[int, int]]:
    """Runs of two or three capitalised words that are not place, time or greeting words."""
    out: list[tuple[int, int]] = []
    for m in _CAPITALISED_RUN.finditer(norm):
        words = list(re.finditer(r"\S+", m.group(0)))
        run: list[re.Match[str]] = []
        for w in [*words, None]:
            word = w.group(0).lower().strip("'") if w is not None else ""
            if w is not None and word not in NOT_NAMES and word not in STOPWORDS:
                run.append(w)
                continue
            if len(run) >= 2:
                out.append((m.start() + run[0].start(), m.start() + run[-1].end()))
            run = []
    return out


def watch_spans(text: str, config: Any = None) -> list[tuple[int, int, str]]:
    """Spans of the comms team's watch-list terms in ``text``, labelled by kind (``CODENAME``).

    The watch list lives in :mod:`bot.watch`; it is imported lazily and its
    absence tolerated, so redaction works in builds without it. When the list
    cannot be read, its error propagates: the critique then fails rather than
    leak a term.
    """
    try:
        from bot.watch import watch_spans as spans_of_terms
    except ImportError:
        return []
    return [
        (int(s), int(e), f"WATCH:{kind}".upper()) for s, e, kind in spans_of_terms(text, config)
    ]


def _spans(
    source: str,
    org: Organisation,
    first_names: Sequence[str],
    names_in_context: bool,
    extra: Iterable[tuple[int, int, str]] = (),
) -> list[tuple[int, int, str]]:
    prepared = prepare(source)
    norm = prepared.text
    found: list[tuple[int, int, int, str]] = []  # start, end, priority, label

    def add(start: int, end: int, label: str, original: bool = False) -> None:
        s, e = (start, end) if original else prepared.to_original(start, end)
        if e > s:
            found.append((s, e, len(found), label))

    for s, e, label in extra:  # a watch-list term names its span before anything else
        if label.startswith("WATCH:"):
            add(max(0, s), min(len(source), e), label[6:], original=True)
    for name, label in DETECTOR_LABELS.items():
        detector = DETECTORS.get(name)
        if detector is not None:
            for d in detector(norm, org):
                add(d.start, d.end, label)
    labels = [label for _, label in IDENTIFIER_LABELS]
    for m in _LABELLED.finditer(norm):
        value = m.group("value").rstrip(".-/")
        if not any(c.isdigit() for c in value):
            continue
        label = next(
            (labels[i] for i in range(len(labels)) if m.group(f"L{i}") is not None), "ID_NUMBER"
        )
        add(m.start(), m.start("value") + len(value), label)
    for m in _DIGIT_RUN.finditer(norm):
        if not _public_number(_digits_of(m.group(0)), org):
            add(m.start(), m.end(), "NUMBER")
    for m in _ANY_EMAIL.finditer(norm):
        address = m.group(0).rstrip(".")
        if not _own_email(address, org):
            add(m.start(), m.start() + len(address), "EMAIL")
    for m in _ANY_POSTCODE.finditer(norm):
        add(m.start(), m.end(), "POSTCODE")
    for m in _TITLE_NAME.finditer(norm):
        add(m.start(1), m.end(1), "NAME")
    if names_in_context:
        rx = _first_name_regex(tuple(first_names))
        if rx is not None:
            for m in rx.finditer(norm):
                add(m.start(), m.end(), "NAME")
        for s, e in _name_runs(norm):
            add(s, e, "NAME")
    # Last, so that on the same words a typed placeholder ([PHONE_1]) names the span.
    for s, e, label in extra:  # finding spans, already in source offsets
        if not label.startswith("WATCH:"):
            add(max(0, s), min(len(source), e), label, original=True)
    # Overlapping spans become one: the longest (then the earliest found) names it.
    found.sort(key=lambda t: (t[0], -(t[1] - t[0]), t[2]))
    merged: list[list[Any]] = []  # [start, end, label, length of the naming span]
    for s, e, _, label in found:
        if merged and s < merged[-1][1]:
            last = merged[-1]
            if e - s > last[3]:
                last[2], last[3] = label, e - s
            last[1] = max(last[1], e)
            continue
        merged.append([s, e, label, e - s])
    return [(s, e, label) for s, e, label, _ in merged]


def _flagged_spans(
    text: str, source: str, findings: list[Finding], config: Any
) -> list[tuple[int, int, str]]:
    """Spans of redacted-category and watch-list findings, mapped to ``source``, plus watch terms."""
    _, index_map = clean_with_map(text) if len(source) != len(text) else (source, None)
    out: list[tuple[int, int, str]] = []
    for f in findings:
        if f.rule.startswith("watch."):  # a watch-list finding: its kind names it ([CASE_1])
            label: str | None = "WATCH:" + (f.rule.split(".", 1)[1] or "watch").upper()
        else:
            label = FINDING_LABELS.get(f.category)
        if label is None or f.start is None or f.end is None:
            continue
        if index_map is None:
            out.append((f.start, f.end, label))
        else:
            out.append((bisect_left(index_map, f.start), bisect_left(index_map, f.end), label))
    out += watch_spans(source, config)
    return out


def redact(
    text: str,
    *,
    org: Organisation,
    first_names: Sequence[str] = (),
    findings: Iterable[Finding] = (),
    names_in_context: bool | None = None,
    enabled: bool = True,
    config: Any = None,
) -> Redaction:
    """Replace personal data in ``text`` by typed placeholders.

    ``findings`` are the rules' findings on ``text`` (offsets into ``text`` as
    given): the spans of confidentiality, safeguarding, legal and watch-list
    findings are replaced whole. ``names_in_context`` forces name redaction on
    or off; by default it is on when such a finding exists or the text speaks
    of crime, patients, children, care or personal data. ``config`` lets the
    watch list (per workspace) add its terms. With ``enabled=False`` only
    invisible characters are removed.

    >>> r = redact("Text Jo on 07700 900123", org=Organisation())
    >>> r.text, r.restore(r.text) == "Text Jo on 07700 900123"
    ('Text Jo on [PHONE_1]', True)
    """
    source = strip_invisible(text)
    if not enabled or not source:
        return Redaction(source=source, text=source)
    findings = list(findings)
    if names_in_context is None:
        names_in_context = any(
            f.category in NAME_CONTEXT_CATEGORIES for f in findings
        ) or sensitive_context(source)
    spans = _spans(
        source, org, first_names, names_in_context, _flagged_spans(text, source, findings, config)
    )
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
