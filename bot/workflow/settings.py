"""The ``workflow:`` section of the organisation config, with its defaults.

    workflow:
      reminder_after_minutes: 60      # remind approvers of a pending draft
      escalate_after_minutes: 240     # then tell the backup approvers
      expire_after_minutes: 4320      # then close it as expired and tell the author (3 days)
      retention_days: 90              # then purge draft text of closed submissions
      purge_notes: true               # ...and the free-text notes (justification, approvers' notes)
      redact_on_decision: false       # replace personal data with [REDACTED] once closed
      tick_seconds: 60                # how often `canipost serve` runs a tick
      auto_send: false                # (chat adapters) send needs_approval drafts to comms without asking

A stage set to 0 is switched off. Stages must come in order, or an
escalation would precede its reminder, so misordered values fail loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from itertools import pairwise
from typing import Any

from bot.config import Config
from bot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    """Timings and switches of the approval queue (see module docstring)."""

    reminder_after_minutes: float = 60
    escalate_after_minutes: float = 240
    expire_after_minutes: float = 3 * 24 * 60
    retention_days: float = 90
    purge_notes: bool = True
    redact_on_decision: bool = False
    tick_seconds: float = 60
    auto_send: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or f.type == "bool":
                continue
            if value < 0:
                raise ConfigError(f"workflow.{f.name} must not be negative")
        if self.tick_seconds <= 0:
            raise ConfigError("workflow.tick_seconds must be positive")
        stages = [
            ("reminder_after_minutes", self.reminder_after_minutes),
            ("escalate_after_minutes", self.escalate_after_minutes),
            ("expire_after_minutes", self.expire_after_minutes),
        ]
        active = [(n, v) for n, v in stages if v]
        for (n1, v1), (n2, v2) in pairwise(active):
            if v1 >= v2:
                raise ConfigError(
                    f"workflow.{n1} ({v1:g}) must be less than workflow.{n2} ({v2:g})"
                )

    @classmethod
    def from_config(cls, config: Config | None) -> WorkflowSettings:
        """Defaults overlaid with ``config.workflow`` (keys already validated by bot.config)."""
        data: dict[str, Any] = dict(config.workflow) if config else {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown workflow key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        return cls(**{k: v for k, v in data.items() if v is not None})

    @staticmethod
    def _after(minutes: float) -> timedelta | None:
        return timedelta(minutes=minutes) if minutes else None

    @property
    def reminder_after(self) -> timedelta | None:
        return self._after(self.reminder_after_minutes)

    @property
    def escalate_after(self) -> timedelta | None:
        return self._after(self.escalate_after_minutes)

    @property
    def expire_after(self) -> timedelta | None:
        return self._after(self.expire_after_minutes)

    @property
    def retention(self) -> timedelta | None:
        return timedelta(days=self.retention_days) if self.retention_days else None
