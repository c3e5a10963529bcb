"""``canipost feedback``: tell the reviewer it was wrong, and review others' reports.

    canipost feedback add "draft" --expected ok|advise|needs_approval|do_not_post
                          [--category CAT]... --by ID [--note TEXT] [--json]
    canipost feedback list [--pending] [--json]
    canipost feedback confirm|dismiss ID --by ID [--json]

An approver's report counts at once; anyone else's waits for an approver to confirm it.
The draft is stored with personal data replaced by placeholders. Exit status: 0 done,
2 usage or input error, 3 refused (confirming or dismissing when not an approver).
"""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import add_by, add_common, group_help, print_json
from bot.config import load_config
from bot.errors import InputError
from bot.verdict import CATEGORIES

DECISIONS = ("ok", "advise", "needs_approval", "do_not_post")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "feedback",
        help="report a false alarm or a miss, and review reports",
        description=(
            "Report a verdict that was wrong (a false alarm, or something missed) so the "
            "organisation's model learns from it (canipost model train). An approver's report "
            "counts at once; anyone else's waits for an approver to confirm it. Exit status: "
            "0 done, 2 usage or input error, 3 refused (not an approver)."
        ),
    )
    q = p.add_subparsers(dest="feedback_command", metavar="ACTION")
    p.set_defaults(func=lambda _a: group_help(p))

    a = q.add_parser("add", help="report what the right decision for a draft was")
    a.add_argument("draft", help="the draft text, or - to read it from stdin")
    a.add_argument("--expected", required=True, metavar="DECISION", help="|".join(DECISIONS))
    a.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="CAT",
        help=f"a category the right verdict names (repeatable): {'|'.join(CATEGORIES)}",
    )
    add_by(a, what="your user id", name=False)
    a.add_argument("--note", metavar="TEXT", help="why (optional)")
    add_common(a)
    a.set_defaults(func=run_add)

    ls = q.add_parser("list", help="list reports, newest first")
    ls.add_argument("--pending", action="store_true", help="only reports awaiting an approver")
    add_common(ls)
    ls.set_defaults(func=run_list)

    for verb, helptext in (
        ("confirm", "an approver confirms a report: it counts for training"),
        ("dismiss", "an approver dismisses a report: it never counts"),
    ):
        c = q.add_parser(verb, help=helptext)
        c.add_argument("id", help="feedback id, e.g. F-7K2M9QXD4B")
        add_by(c, name=False)
        add_common(c)
        c.set_defaults(func=run_review, verb=verb)


def _preview(text: str, n: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


def run_add(args: argparse.Namespace) -> int:
    from bot.feedback import add_feedback, validate

    if args.draft == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("standard input is not valid UTF-8 text") from None
    else:
        text = args.draft
    if not text.strip():
        raise InputError("the draft is empty: give the text the report is about")
    validate(args.expected, args.category)  # before opening (and maybe creating) the database
    if not args.by.strip():
        raise InputError("--by needs your user id")
    config = load_config(args.config)
    from bot.store import open_store

    item = add_feedback(
        open_store(),
        config,
        text=text,
        expected=args.expected,
        categories=args.category,
        by=args.by.strip(),
        note=args.note,
    )
    if args.json:
        print_json(item.to_dict())
        return 0
    when = (
        "counts at once (you are an approver)"
        if item.status == "confirmed"
        else "waits for an approver to confirm it"
    )
    print(
        f"{item.id}: recorded as {item.kind.replace('_', ' ')} (rules said "
        f"{item.rules_decision}, right is {item.expected}); {when}"
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from bot.feedback import list_feedback
    from bot.store import open_store

    items = list_feedback(open_store(), load_config(args.config), pending=args.pending)
    if args.json:
        print_json([i.to_dict() for i in items])
        return 0
    if not items:
        print("no pending feedback" if args.pending else "no feedback")
        return 0
    print(f"{'ID':<13} {'STATUS':<10} {'KIND':<12} {'RULES':<15} {'RIGHT':<15} {'BY':<12} DRAFT")
    for i in items:
        print(
            f"{i.id:<13} {i.status:<10} {i.kind:<12} {i.rules_decision:<15} {i.expected:<15} "
            f"{i.by[:12]:<12} {_preview(i.text)}"
        )
    return 0


def run_review(args: argparse.Namespace) -> int:
    from bot.feedback import confirm, dismiss
    from bot.store import open_store

    fn = confirm if args.verb == "confirm" else dismiss
    item = fn(open_store(), load_config(args.config), args.id, by=args.by.strip())
    if args.json:
        print_json(item.to_dict())
    else:
        print(f"{item.id}: {item.status} by {item.reviewed_by}")
    return 0
