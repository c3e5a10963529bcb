"""The dashboard's views of the watch list and of feedback waiting for confirmation.

Both features are other packages (:mod:`bot.watch`, :mod:`bot.feedback`); this
module is the one place that adapts to them, so a build without one still
serves every other page and says plainly what is missing.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from bot.config import Config
from bot.dashboard import auth
from bot.store import Store
from bot.workflow import Actor

log = logging.getLogger(__name__)


def _web_approver(config: Config) -> Any:
    def check(actor: Actor) -> bool:
        return actor.platform == "web" and auth.is_approver(config, actor.id)

    return check


def watch_entries(
    store: Store, config: Config, viewer_id: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Active watch entries (approvers only), or an explanation when unavailable."""
    try:
        service = importlib.import_module("bot.watch.service")
    except ImportError:
        return [], "The watch list is not part of this build."
    watch = service.WatchList(store, config=config, is_approver=_web_approver(config))
    entries = watch.entries(include_all=False, viewer=Actor("web", viewer_id))
    return [e.to_dict() for e in entries], None


def pending_feedback(
    store: Store, config: Config, viewer_id: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Feedback reports waiting for an approver's confirmation."""
    try:
        feedback = importlib.import_module("bot.feedback")
    except ImportError:
        return [], "Feedback reports are not part of this build yet."
    lister = getattr(feedback, "pending_reports", None)
    if lister is None:
        return [], "This build's feedback package does not list pending reports."
    return [dict(r) for r in lister(store, config=config)], None


def false_alarms_by_rule(store: Store, config: Config) -> dict[str, int]:
    """Confirmed false-alarm reports per rule id; empty when feedback is not available."""
    try:
        feedback = importlib.import_module("bot.feedback")
    except ImportError:
        return {}
    counter = getattr(feedback, "false_alarms_by_rule", None)
    if counter is None:
        return {}
    try:
        return {str(k): int(v) for k, v in counter(store, config=config).items()}
    except Exception as exc:  # a chart must not fail because of another feature
        log.warning("false-alarm counts unavailable: %s", type(exc).__name__)
        return {}
