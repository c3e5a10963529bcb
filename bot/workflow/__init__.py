"""The approval workflow: submissions, decisions, reminders, audit — platform-neutral.

    from bot.store import open_store
    from bot.workflow import Actor, PrintNotifier, Workflow

    wf = Workflow(open_store(), config=config, notifier=PrintNotifier())
    sub = wf.submit(text=draft, verdict=verdict, author=Actor("slack", "U1", "Sam"),
                    idempotency_key="slack:action:abc")
    wf.decide(sub.id, "changes", by=Actor("slack", "U2"), note="Drop the ward name")

States: ``pending`` → ``approved`` | ``changes_requested`` | ``rejected`` |
``withdrawn`` | ``expired``. See :mod:`bot.workflow.service` for the guarantees.
"""

from __future__ import annotations

from bot.workflow.errors import (
    AlreadyDecided,
    JustificationRequired,
    NotAnApprover,
    NoteRequired,
    NotResubmittable,
    NotTheAuthor,
    OwnDraft,
    Refusal,
    SecondApproverRequired,
    UnknownSubmission,
)
from bot.workflow.export import export_audit, parse_since
from bot.workflow.ids import new_id, normalise_id
from bot.workflow.notifier import KINDS, MemoryNotifier, Notifier, PrintNotifier
from bot.workflow.redact import redact
from bot.workflow.runner import StoreBusy
from bot.workflow.service import Workflow
from bot.workflow.settings import WorkflowSettings
from bot.workflow.ticker import Ticker
from bot.workflow.types import (
    DECISIONS,
    PLATFORMS,
    Actor,
    AuditRecord,
    DecisionRecord,
    Submission,
    TickReport,
    parse_decision,
)

__all__ = [
    "DECISIONS",
    "KINDS",
    "PLATFORMS",
    "Actor",
    "AlreadyDecided",
    "AuditRecord",
    "DecisionRecord",
    "JustificationRequired",
    "MemoryNotifier",
    "NotAnApprover",
    "NotResubmittable",
    "NotTheAuthor",
    "NoteRequired",
    "Notifier",
    "OwnDraft",
    "PrintNotifier",
    "Refusal",
    "SecondApproverRequired",
    "StoreBusy",
    "Submission",
    "TickReport",
    "Ticker",
    "UnknownSubmission",
    "Workflow",
    "WorkflowSettings",
    "export_audit",
    "new_id",
    "normalise_id",
    "parse_decision",
    "parse_since",
    "redact",
]
