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


def watch_change(
    store: Store, config: Config, viewer_id: str, viewer_name: str | None, form: dict[str, str]
) -> str:
    """Add (``action=add``) or remove (``action=remove``) a watch entry as a web approver.

    Returns a confirmation line; raises :class:`bot.errors.CanipostError` (input
    or refusal) with a message for the page. Audited by the watch list as ``web``.
    """
    from bot.errors import InputError

    try:
        service = importlib.import_module("bot.watch.service")
    except ImportError:
        raise InputError("The watch list is not part of this build.") from None
    watch = service.WatchList(store, config=config, is_approver=_web_approver(config))
    by = Actor("web", viewer_id, viewer_name)
    if form.get("action") == "remove":
        entry = watch.remove(form.get("id", ""), by=by)
        return f"Removed {entry.term!r} ({entry.kind}) from the watch list."
    aliases = [a.strip() for a in form.get("aliases", "").split(",") if a.strip()]
    entry = watch.add(
        form.get("term", ""),
        kind=form.get("kind", ""),
        by=by,
        aliases=aliases,
        severity=form.get("severity") or None,
        until=form.get("until") or None,
        note=form.get("note") or None,
    )
    return f"Added {entry.term!r} ({entry.kind}); drafts naming it are flagged from now on."


def review_feedback(
    store: Store, config: Config, viewer_id: str, identity: str, feedback_id: str, action: str
) -> str:
    """Confirm or dismiss a pending report as the signed-in approver; a line for the page."""
    from bot.errors import InputError

    try:
        feedback = importlib.import_module("bot.feedback")
    except ImportError:
        raise InputError("Feedback reports are not part of this build.") from None
    if action not in ("confirm", "dismiss"):
        raise InputError("Choose confirm or dismiss.")
    step = feedback.confirm if action == "confirm" else feedback.dismiss
    item = step(store, config, feedback_id, by=viewer_id, platform=identity)
    verb = "Confirmed" if action == "confirm" else "Dismissed"
    return f"{verb} report {item.id}."


def watch_kinds() -> list[str]:
    try:
        kinds = importlib.import_module("bot.watch.kinds")
    except ImportError:
        return []
    return list(kinds.KINDS)


def pending_feedback(
    store: Store, config: Config, viewer_id: str, limit: int = 200
) -> tuple[list[dict[str, Any]], str | None]:
    """Feedback reports waiting for an approver's confirmation, oldest first (the drafts
    are stored redacted by the feedback feature)."""
    from sqlalchemy import select

    from bot.store import models as m

    row_type = getattr(m, "FeedbackRow", None)
    if row_type is None:
        return [], "Feedback reports are not part of this build."
    f = row_type
    with store.read() as s:
        rows = s.execute(
            select(
                f.id,
                f.created_at,
                f.by_id,
                f.by_platform,
                f.text,
                f.expected,
                f.rules_decision,
                f.rules_fired,
                f.note,
            )
            .where(f.workspace == config.workspace, f.status == "pending")
            .order_by(f.created_at, f.id)
            .limit(limit)
        ).all()
    return [
        {
            "id": r.id,
            "reported": r.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "by": f"{r.by_id} ({r.by_platform})",
            "draft": r.text,
            "said": r.rules_decision,
            "expected": r.expected,
            "rules": ", ".join(r.rules_fired or []),
            "note": r.note,
        }
        for r in rows
    ], None


def false_alarms_by_rule(store: Store, config: Config, days: int = 30) -> dict[str, int]:
    """Confirmed false-alarm reports per rule id, over ``days``.

    The feedback feature classifies each report (``kind = 'false_alarm'``: the
    rules asked for approval or blocked, the comms team says it was fine); such a
    report counts for every rule that fired. Empty without feedback.
    """
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from bot.store import models as m

    if getattr(m, "FeedbackRow", None) is None:
        return {}
    unnest = (
        "jsonb_array_elements_text(feedback.rules_fired) AS r(value)"
        if store.dialect == "postgresql"
        else "json_each(feedback.rules_fired) AS r"
    )
    since: Any = datetime.now(UTC) - timedelta(days=days)
    if store.dialect != "postgresql":
        since = since.strftime("%Y-%m-%d %H:%M:%S")
    sql = (
        f"SELECT r.value, COUNT(*) FROM feedback, {unnest} "
        "WHERE feedback.workspace = :ws AND feedback.status = 'confirmed' "
        "AND feedback.created_at >= :since "
        "AND feedback.kind = 'false_alarm' "
        "GROUP BY r.value"
    )
    try:
        with store.read() as s:
            return {
                str(rule): int(n)
                for rule, n in s.execute(text(sql), {"ws": config.workspace, "since": since})
            }
    except Exception as exc:  # a chart must not fail because of another feature
        log.warning("false-alarm counts unavailable: %s", type(exc).__name__)
        return {}
