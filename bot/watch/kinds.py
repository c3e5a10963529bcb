"""The six kinds of watch entry and what a finding of each kind says.

One table, so the CLI, the chat surfaces, the matcher and the docs agree on the
category, default severity, staff-facing message and protocol section of each
kind. The entry's own note is never in here: staff see only these texts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InputError
from bot.verdict import Severity


@dataclass(frozen=True, slots=True)
class Kind:
    """What the bot says, and how strictly, when a draft names an entry of this kind."""

    name: str
    category: str
    severity: Severity
    policy_ref: str
    message: str
    suggestion: str
    #: Whether the surname alone (a proper noun in the draft) also matches.
    surname_matches: bool = False

    @property
    def rule_id(self) -> str:
        return f"watch.{self.name}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "case",
            "legal",
            Severity.DO_NOT_POST,
            "protocol#court-cases",
            "This names a live court case. Commenting on active proceedings can be contempt "
            "of court, even without meaning to.",
            "Don't post about the case. Send questions, including from journalists, to the "
            "comms team.",
            surname_matches=True,
        ),
        Kind(
            "injunction",
            "legal",
            Severity.DO_NOT_POST,
            "protocol#injunctions-and-anonymity",
            "This names someone or something protected by a court order or by anonymity. "
            "Publishing it can be contempt of court or a criminal offence.",
            "Remove it, and don't hint at it either. Ask the comms team if you're unsure.",
            surname_matches=True,
        ),
        Kind(
            "embargo",
            "confidentiality",
            Severity.DO_NOT_POST,
            "protocol#confidential-information",
            "This mentions an announcement that is under embargo and not public yet.",
            "Wait until the organisation has announced it, then share the official post.",
        ),
        Kind(
            "codename",
            "confidentiality",
            Severity.DO_NOT_POST,
            "protocol#confidential-information",
            "This uses an internal codename that must not appear in public.",
            "Remove the codename; talk about the work only as it has been announced.",
        ),
        Kind(
            "person",
            "confidentiality",
            Severity.NEEDS_APPROVAL,
            "protocol#confidential-information",
            "This names someone the comms team has asked to check posts about.",
            "Send the draft for approval before posting.",
            surname_matches=True,
        ),
        Kind(
            "topic",
            "representation",
            Severity.NEEDS_APPROVAL,
            "protocol#speaking-for-the-organisation",
            "This touches a live topic the comms team is handling, so the organisation "
            "needs to speak with one voice.",
            "Send the draft for approval, or share the organisation's own posts on it.",
        ),
    )
}

#: Severities an entry may set (``ok`` would make the entry pointless).
ENTRY_SEVERITIES: tuple[str, ...] = ("advise", "needs_approval", "do_not_post")


def parse_kind(value: str | None) -> Kind:
    """The :class:`Kind` named by ``value``; an unknown kind is an :class:`InputError`."""
    name = (value or "").strip().lower()
    kind = KINDS.get(name)
    if kind is None:
        raise InputError(f"unknown kind {value!r}; allowed: {', '.join(KINDS)}")
    return kind


def parse_severity(value: str | None) -> Severity | None:
    """An entry's own severity, or None to use the kind's default."""
    if value is None or not value.strip():
        return None
    name = value.strip().lower()
    if name not in ENTRY_SEVERITIES:
        raise InputError(f"unknown severity {value!r}; allowed: {', '.join(ENTRY_SEVERITIES)}")
    return Severity.parse(name)
