"""Learning from the comms team: feedback reports and the organisation's model.

Package API (for the chat surfaces, the dashboard and the workflow):

- :func:`add_feedback` — a "Was this right?" report (``expected`` decision, optional
  categories, who, platform ``cli|slack|teams|web``). The draft is redacted with the
  LLM's own redaction before it is stored; an approver's report is ``confirmed`` at
  once, anyone else's is ``pending``.
- :func:`list_feedback` (``pending=True`` for an approver's App Home / Teams card),
  :func:`confirm`, :func:`dismiss` — approvers only (:class:`NotAnApprover`, exit 3).
- :func:`record_decision` — the workflow's decide step calls it after recording an
  approver's decision: reject → ``do_not_post``, changes → ``needs_approval``, approve →
  the verdict the draft got. Every approver decision becomes confirmed feedback.
- :func:`purge_expired` — reports older than ``workflow.retention_days`` are deleted.
- :func:`bot.feedback.train.train_org_model` — ``canipost model train``;
  :func:`reset_model`, :func:`active_model_summary` — ``canipost model reset|status``.

All functions take ``(store, config)``; ``config.workspace`` scopes every row.
"""

from __future__ import annotations

from bot.feedback.service import (
    DECISIONS,
    FeedbackItem,
    NotAnApprover,
    UnknownFeedback,
    active_model_summary,
    add_feedback,
    confirm,
    dismiss,
    is_approver,
    list_feedback,
    purge_expired,
    record_decision,
    reset_model,
    save_model,
    training_feedback,
    validate,
)

__all__ = [
    "DECISIONS",
    "FeedbackItem",
    "NotAnApprover",
    "UnknownFeedback",
    "active_model_summary",
    "add_feedback",
    "confirm",
    "dismiss",
    "is_approver",
    "list_feedback",
    "purge_expired",
    "record_decision",
    "reset_model",
    "save_model",
    "training_feedback",
    "validate",
]
