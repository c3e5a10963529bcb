"""Detectors: validated personal-data finders, one module each, in one registry.

A detector is a function ``(text, org) -> list[Detection]`` in its own module
(``bot/detectors/phone.py``...). It is registered by name with the cheap
preconditions the rule engine tests before calling it (how many digits, which
words or characters must appear), and imported only when a draft passes them.
``kind: detector`` rules name detectors; the policy code reads the
preconditions from here and never tests a detector's name.

Built-ins and outside detectors register the same way::

    from bot.detectors import register
    register("tax_reference", "mypkg.detectors:find_utr", min_digits=10, words={"utr"})

or, from an installed package, with an entry point in the group
``canipost.detectors`` whose value is a :class:`DetectorSpec` or a detector
function (looked up only when a policy names a detector not registered yet).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from bot.detectors.base import Detection, Detector

__all__ = [
    "DETECTORS",
    "Detection",
    "Detector",
    "DetectorSpec",
    "get",
    "is_registered",
    "names",
    "register",
]


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """A registered detector: where its function lives and what a draft needs first."""

    name: str
    #: ``"module:function"``, imported on first use.
    target: str
    #: At least this many ASCII digits in the draft.
    min_digits: int = 0
    #: One of these lower-case words must appear (None: no word test).
    words: frozenset[str] | None = None
    #: Every one of these characters must appear ("@." for an email address).
    chars: str = ""
    #: The merged detections of these detectors instead of a function of its own,
    #: so a draft runs each part once (``address`` = ``street_address`` + ``postcode``).
    union: tuple[str, ...] = ()
    _function: list[Detector] = field(default_factory=list, compare=False, repr=False)

    def admits(self, digits: int, words: set[str] | frozenset[str], text: str) -> bool:
        """The cheap test: False means the detector cannot find anything in this draft."""
        if digits < self.min_digits:
            return False
        if self.chars and not all(c in text for c in self.chars):
            return False
        return self.words is None or not self.words.isdisjoint(words)

    def function(self) -> Detector:
        """The detector function, imported the first time it is needed."""
        if not self._function:
            module, _, attr = self.target.partition(":")
            self._function.append(getattr(importlib.import_module(module), attr))
        return self._function[0]


_REGISTRY: dict[str, DetectorSpec] = {}


def register(
    name: str,
    target: str,
    *,
    min_digits: int = 0,
    words: Iterable[str] | None = None,
    chars: str = "",
    union: Iterable[str] = (),
) -> DetectorSpec:
    """Add (or replace) the detector ``name``; ``target`` is ``"module:function"``."""
    if ":" not in target and not union:
        raise ValueError(f"detector {name!r}: target must look like 'module:function'")
    spec = DetectorSpec(
        name=name,
        target=target,
        min_digits=min_digits,
        words=frozenset(w.lower() for w in words) if words is not None else None,
        chars=chars,
        union=tuple(union),
    )
    _REGISTRY[name] = spec
    return spec


def _from_entry_points(name: str) -> DetectorSpec | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="canipost.detectors"):
        if ep.name != name:
            continue
        obj = ep.load()
        if isinstance(obj, DetectorSpec):
            _REGISTRY[name] = obj
            return obj
        if callable(obj):
            return register(name, ep.value)
    return None


def get(name: str) -> DetectorSpec:
    """The registered detector ``name`` (KeyError naming the known ones if there is none)."""
    spec = _REGISTRY.get(name) or _from_entry_points(name)
    if spec is None:
        raise KeyError(f"unknown detector {name!r}; allowed: {', '.join(names())}")
    return spec


def is_registered(name: str) -> bool:
    try:
        get(name)
    except KeyError:
        return False
    return True


def names() -> list[str]:
    """Registered detector names, sorted."""
    return sorted(_REGISTRY)


class _Functions(Mapping[str, Detector]):
    """``DETECTORS[name]`` is the detector function (imported on first access)."""

    def __getitem__(self, name: str) -> Detector:
        return get(name).function()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_REGISTRY))

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and is_registered(name)


#: Name -> detector function, for callers that run detectors outside rules (redaction).
DETECTORS: Mapping[str, Detector] = _Functions()

# ------------------------------------------------------------------ the built-in detectors
# Preconditions: most drafts have no digits and no '@', and pay nothing for detection.

register("email", "bot.detectors.email:find_emails", chars="@.")
register("phone", "bot.detectors.phone:find_phones", min_digits=7)
register("nhs_number", "bot.detectors.nhs_number:find_nhs_numbers", min_digits=10)
register("nino", "bot.detectors.nino:find_ninos", min_digits=6)
register("payment_card", "bot.detectors.payment_card:find_cards", min_digits=13)
register("bank_account", "bot.detectors.bank_account:find_bank_details", min_digits=8)
register("iban", "bot.detectors.iban:find_ibans", min_digits=8)
register(
    "date_of_birth",
    "bot.detectors.date_of_birth:find_dates_of_birth",
    min_digits=2,
    words={"dob", "d", "birth", "born", "birthday", "b"},
)
register("postcode", "bot.detectors.postcode:find_postcodes", min_digits=2)
register("street_address", "bot.detectors.street_address:find_street_addresses", min_digits=1)
register(
    "address",
    "bot.detectors.address:find_addresses",
    min_digits=1,
    union=("street_address", "postcode"),
)
register(
    "credential",
    "bot.detectors.credential:find_credentials",
    words={
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
    },
)
