"""``canipost queue``: the approval queue from the command line.

A comms officer can run the whole cycle here: submit a draft (it is reviewed
first), list and show the queue, decide, withdraw, and run a ``tick`` of
reminders, escalation and expiry from a scheduler. The CLI acts as platform
``cli``: approvers come from ``approvers.cli``, ``approvers.any`` and
``CANIPOST_APPROVERS``. Exit status: 0 done, 2 usage or input error (unknown
id, missing note), 3 refused (not an approver, own draft, already decided).
"""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import PLATFORM, acting, add_by, add_common, group_help, print_json
from bot.config import Config, load_config
from bot.errors import InputError
from bot.store import open_store
from bot.store.models import STATES
from bot.verdict import CHANNELS, Draft, normalise_channel
from bot.workflow import (
    Actor,
    AuditRecord,
    PrintNotifier,
    Refusal,
    Submission,
    Workflow,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "queue",
        help="the approval queue: submit, list, show, decide, withdraw, tick",
        description=(
            "The approval queue. Drafts are stored in DATABASE_URL (default "
            "sqlite:///canipost.db, created on first use). Exit status: 0 done, "
            "2 usage or input error, 3 refused (not an approver, own draft, already decided)."
        ),
    )
    q = p.add_subparsers(dest="queue_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: group_help(p))

    s = q.add_parser(
        "submit",
        help="review a draft and queue it for approval",
        description=(
            "Review the draft, then store it for approval and notify approvers. Any draft "
            "may be submitted; a do_not_post draft needs your justification (--note)."
        ),
    )
    s.add_argument("draft", help="the draft text, or - to read it from stdin")
    s.add_argument("--author", required=True, metavar="ID", help="your user id")
    s.add_argument("--author-name", metavar="NAME", help="your display name")
    s.add_argument(
        "--channel",
        default="any",
        metavar="NET",
        help=f"target network: {'|'.join(CHANNELS)} (default any)",
    )
    s.add_argument(
        "--note",
        "--justification",
        dest="note",
        metavar="TEXT",
        help="note for the approvers; required (as justification) for do_not_post drafts",
    )
    s.add_argument(
        "--resubmit-of",
        metavar="ID",
        help="the submission whose requested changes this draft makes",
    )
    add_common(s)
    s.add_argument("--profile", metavar="PROFILE", help="council|nhs|charity|business")
    s.add_argument("--no-llm", action="store_true", help="review with rules only")
    s.set_defaults(func=run_submit)

    ls = q.add_parser("list", help="list submissions, newest first")
    ls.add_argument("--status", choices=STATES, help="only submissions in this state")
    ls.add_argument("--author", metavar="ID", help="only this author's submissions")
    ls.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    add_common(ls)
    ls.set_defaults(func=run_list)

    sh = q.add_parser("show", help="show one submission with its audit trail")
    sh.add_argument("id", help="submission id, e.g. S-7K2M9QXD4B (case-insensitive)")
    add_common(sh)
    sh.set_defaults(func=run_show)

    d = q.add_parser(
        "decide",
        help="approve, request changes or reject a pending submission",
        description=(
            "Decide a pending submission. The first decision wins; a note is required for "
            "changes and reject. Exit 0 recorded, 3 refused (the message says who decided "
            "and when), 2 unknown id or missing note."
        ),
    )
    d.add_argument("id", help="submission id")
    d.add_argument("decision", choices=("approve", "changes", "reject"))
    add_by(d)
    d.add_argument("--note", metavar="TEXT", help="why; required for changes and reject")
    add_common(d)
    d.set_defaults(func=run_decide)

    w = q.add_parser("withdraw", help="withdraw your own pending submission")
    w.add_argument("id", help="submission id")
    add_by(w, what="your user id (the author)", name=False)
    w.add_argument("--note", metavar="TEXT", help="why (optional)")
    add_common(w)
    w.set_defaults(func=run_withdraw)

    t = q.add_parser(
        "tick",
        help="one pass of reminders, escalation, expiry, retention and retries",
        description=(
            "Run one pass for a scheduler (cron, Heroku Scheduler): remind approvers, escalate "
            "to backups, expire stale submissions, purge old draft text, retry failed "
            "notifications. Safe to run from several machines at once."
        ),
    )
    add_common(t)
    t.set_defaults(func=run_tick)


def _workflow(args: argparse.Namespace, config: Config | None = None) -> Workflow:
    cfg = config or load_config(getattr(args, "config", None))
    # With --json stdout carries only JSON; notifications go to stderr.
    stream = (
        sys.stdout if getattr(args, "queue_command", "") == "tick" and not args.json else sys.stderr
    )
    return Workflow(open_store(), config=cfg, notifier=PrintNotifier(stream))


def _refused(args: argparse.Namespace, exc: Refusal) -> int:
    if args.json:
        print_json(exc.to_dict())
    print(f"canipost: {exc}", file=sys.stderr)
    return exc.exit_code


# ---------------------------------------------------------------------- handlers


def run_submit(args: argparse.Namespace) -> int:
    if args.draft == "-":
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("standard input is not valid UTF-8 text") from None
    else:
        text = args.draft
    if not text.strip():
        raise InputError('no draft given: canipost queue submit "your draft" --author ID')
    try:
        channel = normalise_channel(args.channel)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    author = Actor(PLATFORM, args.author.strip(), args.author_name)
    config = load_config(args.config).with_profile(args.profile)
    wf = _workflow(args, config)

    from bot.review import review  # the policy engine is heavy; load it only to submit

    draft = Draft(text=text, channel=channel)
    verdict = (
        review(draft, config=config, use_llm=False) if args.no_llm else review(draft, config=config)
    )
    try:
        sub = wf.submit(
            text=text,
            verdict=verdict,
            author=author,
            channel=channel,
            note=args.note,
            predecessor_id=args.resubmit_of,
        )
    except Refusal as exc:
        return _refused(args, exc)
    if args.json:
        print_json(sub.to_dict())
    else:
        print(render_submission(sub))
        print(
            f"\nApprovers decide with: canipost queue decide {sub.id} approve|changes|reject --by ID"
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    wf = _workflow(args)
    subs = wf.submissions(state=args.status, author=args.author, limit=args.limit)
    if args.json:
        print_json([s.to_dict() for s in subs])
        return 0
    if not subs:
        print("no submissions" + (f" {args.status}" if args.status else ""))
        return 0
    print(f"{'ID':<13} {'STATE':<17} {'REVIEW':<14} {'AUTHOR':<16} {'CREATED (UTC)':<16}  DRAFT")
    for s in subs:
        print(
            f"{s.id:<13} {s.state:<17} {s.review_decision:<14} {_short(s.author.id, 16):<16} "
            f"{s.created_at:%Y-%m-%d %H:%M}  {_preview(s)}"
        )
    return 0


def run_show(args: argparse.Namespace) -> int:
    wf = _workflow(args)
    sub = wf.get(args.id)
    trail = wf.audit_trail(sub.id)
    if args.json:
        print_json({**sub.to_dict(), "audit": [a.to_dict() for a in trail]})
        return 0
    print(render_submission(sub))
    print("\nAudit trail:")
    for entry in trail:
        print("  " + render_audit(entry))
    return 0


def run_decide(args: argparse.Namespace) -> int:
    wf = _workflow(args)
    by = acting(args)
    try:
        sub = wf.decide(args.id, args.decision, by=by, note=args.note)
    except Refusal as exc:
        return _refused(args, exc)
    if args.json:
        print_json(sub.to_dict())
    elif sub.is_open:
        print(f"{sub.id}: approval recorded; a second approver must also approve")
    else:
        print(f"{sub.id}: {sub.state.replace('_', ' ')} by {sub.decided_by}")
    return 0


def run_withdraw(args: argparse.Namespace) -> int:
    wf = _workflow(args)
    by = acting(args)
    try:
        sub = wf.withdraw(args.id, by=by, note=args.note)
    except Refusal as exc:
        return _refused(args, exc)
    if args.json:
        print_json(sub.to_dict())
    else:
        print(f"{sub.id}: withdrawn")
    return 0


def run_tick(args: argparse.Namespace) -> int:
    wf = _workflow(args)
    report = wf.tick()
    if args.json:
        print_json(report.to_dict())
        return 0
    print(
        f"tick: {len(report.expired)} expired, {len(report.reminded)} reminded, "
        f"{len(report.escalated)} escalated, {len(report.purged)} purged, "
        f"{report.delivered} notifications delivered"
        + (f", {report.delivery_failures} failed (will retry)" if report.delivery_failures else "")
        + (f", {report.given_up} given up" if report.given_up else "")
    )
    return 0


# ---------------------------------------------------------------------- rendering


def _short(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def _preview(sub: Submission, width: int = 50) -> str:
    if sub.text is None:
        return "(purged)"
    return _short(" ".join(sub.text.split()), width)


def render_submission(sub: Submission) -> str:
    """Human-readable block for ``submit`` and ``show``."""
    v = sub.verdict
    lines = [f"{sub.id}  {sub.state.upper().replace('_', ' ')}"]
    lines.append(f"  draft:    {sub.text!r}" if sub.text is not None else "  draft:    (purged)")
    lines.append(f"  channel:  {sub.channel}")
    lines.append(f"  author:   {sub.author} [{sub.author.platform}]")
    lines.append(f"  created:  {sub.created_at:%Y-%m-%d %H:%M:%S} UTC")
    cats = ", ".join(v.categories)
    lines.append(
        f"  review:   {v.decision.label}"
        + (f" ({cats})" if cats else "")
        + f", policy {v.policy_version}"
    )
    for f in v.findings:
        quote = f" “{f.quote}”" if f.quote else ""
        lines.append(f"    - {f.severity.label} {f.rule}{quote}: {f.message}")
    if sub.note:
        lines.append(f"  note:     {sub.note}")
    if sub.predecessor_id:
        lines.append(f"  resubmission of {sub.predecessor_id}")
    if sub.approvals_needed > 1:
        names = ", ".join(str(d.by) for d in sub.approvals) or "none yet"
        lines.append(f"  approvals: {len(sub.approvals)} of {sub.approvals_needed} ({names})")
    if sub.decided_at:
        by = f" by {sub.decided_by}" if sub.decided_by else ""
        lines.append(
            f"  decided:  {sub.state.replace('_', ' ')}{by} at {sub.decided_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    if sub.decision_note:
        lines.append(f"  decision note: {sub.decision_note}")
    if sub.redacted_at:
        lines.append("  personal data redacted")
    return "\n".join(lines)


def render_audit(entry: AuditRecord) -> str:
    who = str(entry.actor) if entry.actor else "canipost"
    what = entry.action + (f" {entry.detail['decision']}" if "decision" in entry.detail else "")
    outcome = entry.outcome + (f" ({entry.reason})" if entry.reason else "")
    return f"{entry.at:%Y-%m-%d %H:%M:%S}  {who:<20} {what:<16} {outcome}"
