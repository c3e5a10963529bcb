"""The data the review core speaks: drafts in, findings and a verdict out.

Nothing here knows about Slack, Teams or the CLI; every adapter translates to
and from these types. The JSON shape is the contract in ``shared/CONTRACT.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from bot.errors import InputError

#: The closed set of finding categories (see CONTRACT.md).
CATEGORIES: tuple[str, ...] = (
    "confidentiality",
    "legal",
    "safeguarding",
    "conflict",
    "reputation",
    "representation",
    "sensitivity",
    "promotion",
    "strategy",
    "accessibility",
)

#: Networks a draft may target; ``x`` is an alias of ``twitter``.
CHANNELS: tuple[str, ...] = (
    "twitter",
    "x",
    "facebook",
    "instagram",
    "linkedin",
    "tiktok",
    "threads",
    "bluesky",
    "any",
)


class Severity(IntEnum):
    """Ordered so that ``max()`` gives the decision."""

    OK = 0
    ADVISE = 1
    NEEDS_APPROVAL = 2
    DO_NOT_POST = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse ``advise`` / ``needs_approval`` / ``do_not_post`` (and ``ok``)."""
        try:
            return cls[value.strip().upper()]
        except (KeyError, AttributeError):
            raise ValueError(
                f"unknown severity {value!r}; allowed: ok, advise, needs_approval, do_not_post"
            ) from None


class UnknownChannel(InputError, ValueError):
    """A channel outside :data:`CHANNELS`."""


#: Severities a rule may declare (``ok`` is only ever a decision).
RULE_SEVERITIES: tuple[str, ...] = ("advise", "needs_approval", "do_not_post")


def normalise_channel(channel: str | None) -> str:
    """Map user input to a known channel; ``x`` becomes ``twitter``.

    Raises InputError (a ValueError too) naming the allowed values, so the CLI can print it.
    """
    if channel is None or channel == "":
        return "any"
    c = str(channel).strip().lower()
    if c not in CHANNELS:
        raise UnknownChannel(f"unknown channel {channel!r}; allowed: {', '.join(CHANNELS)}")
    return "twitter" if c == "x" else c


@dataclass(frozen=True, slots=True)
class Draft:
    """A post someone wants to publish.

    ``on_behalf`` is True when the author posts for the organisation (its own
    account), False for a personal account, None when unknown.
    """

    text: str
    channel: str = "any"
    id: str | None = None
    on_behalf: bool | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to pause, tied to the words that triggered it."""

    rule: str
    category: str
    severity: Severity
    start: int | None
    end: int | None
    quote: str | None
    message: str
    suggestion: str
    policy_ref: str
    source: str = "rules"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity.label,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "message": self.message,
            "suggestion": self.suggestion,
            "policy_ref": self.policy_ref,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            category=str(data["category"]),
            severity=Severity.parse(str(data["severity"])),
            start=data.get("start"),
            end=data.get("end"),
            quote=data.get("quote"),
            message=str(data.get("message", "")),
            suggestion=str(data.get("suggestion", "")),
            policy_ref=str(data.get("policy_ref", "")),
            source=str(data.get("source", "rules")),
        )


@dataclass(slots=True)
class Verdict:
    """The answer to "can I post this?".

    ``decision`` is always the most severe finding's severity (``ok`` when
    there are none); use :meth:`with_findings` rather than mutating findings so
    it stays consistent.
    """

    findings: list[Finding]
    policy_version: str
    id: str | None = None
    rewrite: str | None = None
    llm: str = "off"
    llm_reason: str | None = None
    critique: str | None = None
    decision: Severity = field(init=False)

    def __post_init__(self) -> None:
        self.decision = max((f.severity for f in self.findings), default=Severity.OK)

    def with_findings(self, findings: list[Finding]) -> Verdict:
        return replace(self, findings=findings)

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.findings:
            seen.setdefault(f.category, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["decision"] = self.decision.label
        out["findings"] = [f.to_dict() for f in self.findings]
        out["rewrite"] = self.rewrite
        out["llm"] = self.llm
        if self.llm_reason:
            out["llm_reason"] = self.llm_reason
        if self.critique:
            out["critique"] = self.critique
        out["policy_version"] = self.policy_version
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            policy_version=str(data.get("policy_version", "")),
            id=data.get("id"),
            rewrite=data.get("rewrite"),
            llm=str(data.get("llm", "off")),
            llm_reason=data.get("llm_reason"),
            critique=data.get("critique"),
        )
