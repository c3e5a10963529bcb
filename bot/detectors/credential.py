"""Passwords, PINs and door codes given with their value (``credential``)."""

from __future__ import annotations

import re

from bot.config import Organisation
from bot.detectors.base import Detection
from bot.policy.programs import compile_regex  # kept programs, with start hints

_CREDENTIAL = compile_regex(
    r"\b(?:(?:wi-?fi|network|staff|admin|login|account|system|email|door|gate|key\s*safe|keysafe|alarm|entry|access|safe|lock|locker|padlock|building)\s+)?"
    r"(?:password|passcode|passwd|pass\s*word|pw|pwd|pin(?:\s*(?:code|number))?|code|passphrase|combination|login)"
    r"(?:\s+(?:for|to|on)\s+(?:the\s+)?[\w\s'\u2019-]{1,40}?)?\s*(?:is\b|:|=|-|was\b|will\s+be\b|has\s+changed\s+to\b|changed\s+to\b)\s*(?:now\s+|still\s+|currently\s+)?['\"]?([^\s'\",]{3,40})",
    re.IGNORECASE,
)
_CREDENTIAL_WORDS = compile_regex(
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
