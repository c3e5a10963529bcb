"""Fixtures for workflow tests: a real database per backend, a settable clock, verdicts.

Each test gets a fresh SQLite file and a fresh PostgreSQL database (the
suite's ``db_url`` fixture in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Approvers, Config
from bot.store import Store, open_store
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, MemoryNotifier, Workflow

ALICE = Actor("cli", "alice", "Alice Author")
BOB = Actor("cli", "bob", "Bob Approver")
CAROL = Actor("cli", "carol", "Carol Approver")
MALLORY = Actor("cli", "mallory")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> Config:
    return Config(
        approvers=Approvers(cli=["bob", "carol"], backup=["dana"], two_step_categories=["legal"]),
        workflow={
            "reminder_after_minutes": 60,
            "escalate_after_minutes": 240,
            "expire_after_minutes": 1440,
            "retention_days": 30,
        },
    )


@pytest.fixture
def notifier() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def wf(store: Store, config: Config, notifier: MemoryNotifier, clock: Clock) -> Workflow:
    return Workflow(store, config=config, notifier=notifier, clock=clock)


def make_verdict(decision: str = "needs_approval", *categories: str, text: str = "") -> Verdict:
    """A verdict whose findings have the given categories at severity ``decision``."""
    if decision == "ok":
        return Verdict([], "test-policy")
    sev = Severity.parse(decision)
    findings = [
        Finding(
            rule=f"{cat}.test",
            category=cat,
            severity=sev,
            start=0 if text else None,
            end=min(len(text), 5) if text else None,
            quote=text[:5] if text else None,
            message=f"{cat} finding",
            suggestion="Change it.",
            policy_ref="protocol#test",
        )
        for cat in (categories or ("reputation",))
    ]
    return Verdict(findings, "test-policy")


@pytest.fixture
def verdict() -> Callable[..., Verdict]:
    return make_verdict


@pytest.fixture
def submit(wf: Workflow) -> Callable[..., Any]:
    """Submit a draft by Alice; keyword arguments override the defaults."""

    def _submit(text: str = "Our new library opens on Monday", **kw: Any) -> Any:
        kw.setdefault("verdict", make_verdict("needs_approval", "reputation"))
        kw.setdefault("author", ALICE)
        return wf.submit(text=text, **kw)

    return _submit
