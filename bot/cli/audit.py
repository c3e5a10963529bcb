"""``canipost audit export``: the audit log as CSV or JSON Lines, for reporting.

Every attempt on the queue, allowed or refused, with who, what and when; the
draft text is never included, so exports can be shared with auditors.
"""

from __future__ import annotations

import argparse
import sys

from bot.errors import InputError
from bot.store import open_store
from bot.workflow.export import FORMATS, export_audit, parse_since


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="export the audit log of the approval queue")
    a = p.add_subparsers(dest="audit_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: _help(p))
    e = a.add_parser(
        "export",
        help="write the audit log as CSV or JSON Lines",
        description=(
            "Write every audit entry (oldest first) with the submission's channel, review "
            "decision, categories and policy version. Draft text is never exported."
        ),
    )
    e.add_argument("--format", choices=FORMATS, default="csv", help="csv (default) or jsonl")
    e.add_argument(
        "--since", metavar="DATE", help="only entries at or after DATE (UTC), e.g. 2026-11-01"
    )
    e.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    e.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    since = parse_since(args.since)
    store = open_store()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = export_audit(store, out, fmt=args.format, since=since)
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"{n} audit entries written to {args.output}", file=sys.stderr)
    else:
        export_audit(store, sys.stdout, fmt=args.format, since=since)
    return 0


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2
