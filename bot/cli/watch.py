"""``canipost watch``: the comms team's watch list from the command line.

Live court cases, injunctions, embargoes, codenames, people and hot topics that
no phrase list can know. Entries take effect on every check at once (other
workers within a second). Only approvers add or remove (exit 3 otherwise, and
the attempt is audited); bad input exits 2 with one line. The CLI acts as
platform ``cli``: approvers come from ``approvers.cli``, ``approvers.any`` and
``CANIPOST_APPROVERS``. Nothing heavy is imported until a sub-command runs.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import acting, add_by, add_common, group_help, print_json

if TYPE_CHECKING:
    from bot.watch.service import WatchList
    from bot.watch.types import WatchEntry

KIND_NAMES = ("case", "injunction", "embargo", "codename", "person", "topic")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "watch",
        help="the comms team's watch list: live cases, injunctions, embargoes, codenames",
        description=(
            "The watch list: terms every check flags with rule watch.<kind>. Kinds: "
            "case and injunction (legal, do_not_post), embargo and codename "
            "(confidentiality, do_not_post), person (confidentiality, needs_approval), "
            "topic (representation, needs_approval). Stored in DATABASE_URL. Exit status: "
            "0 done, 2 usage or input error, 3 refused (not an approver)."
        ),
    )
    w = p.add_subparsers(dest="watch_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: group_help(p))

    a = w.add_parser(
        "add",
        help="add a term to watch for (approvers only)",
        description=(
            "Add a term. Matching ignores case and also finds #HashTags, possessives, "
            "hyphenated and reversed two-word forms; for person, case and injunction "
            "entries the surname alone matches when it is used as a name. Refused: an empty "
            "term, fewer than 3 letters, one common word on its own, an --until already past. "
            "A term or alias already listed changes nothing (exit 2, naming the entry)."
        ),
    )
    a.add_argument("term", help='the name, codename or phrase, e.g. "Project Lighthouse"')
    a.add_argument("--kind", required=True, metavar="KIND", help="|".join(KIND_NAMES))
    a.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="TEXT",
        help="another spelling to match (repeatable)",
    )
    a.add_argument(
        "--until",
        metavar="YYYY-MM-DD",
        help="stop matching from the start of this day, UTC (an embargo's lift date), or at "
        "an ISO time such as 2027-03-01T09:30+00:00; default: until removed",
    )
    a.add_argument(
        "--severity",
        metavar="SEVERITY",
        help="advise|needs_approval|do_not_post (default: the kind's)",
    )
    a.add_argument("--note", metavar="TEXT", help="for approvers only; staff never see it")
    add_by(a)
    add_common(a)
    a.set_defaults(func=run_add)

    ls = w.add_parser("list", help="list the active entries (--all: expired and removed too)")
    ls.add_argument("--all", action="store_true", help="include expired and removed entries")
    add_common(ls)
    ls.set_defaults(func=run_list)

    sh = w.add_parser("show", help="show one entry, its note and its audit trail")
    sh.add_argument("id", help="entry id, e.g. W-7K2M9QXD (case-insensitive)")
    add_common(sh)
    sh.set_defaults(func=run_show)

    r = w.add_parser("remove", help="take an entry off the list (approvers only)")
    r.add_argument("id", help="entry id")
    add_by(r)
    add_common(r)
    r.set_defaults(func=run_remove)


def _watch_list(args: argparse.Namespace) -> WatchList:
    from bot.config import load_config
    from bot.store import open_store
    from bot.watch.service import WatchList

    return WatchList(open_store(), config=load_config(getattr(args, "config", None)))


def _print_json(data: Any) -> None:
    print_json(data, indent=2)


def run_add(args: argparse.Namespace) -> int:
    wl = _watch_list(args)
    entry = wl.add(
        args.term,
        kind=args.kind,
        by=acting(args),
        aliases=args.alias,
        severity=args.severity,
        until=args.until,
        note=args.note,
    )
    if args.json:
        _print_json(entry.to_dict())
    else:
        print(f"Added {entry.id}: {_describe(entry)}")
        print("Every check flags it from now on (other workers within a second).")
    return 0


def run_list(args: argparse.Namespace) -> int:
    wl = _watch_list(args)
    now = datetime.now(UTC)
    entries = wl.entries(include_all=args.all)
    if args.json:
        _print_json([e.to_dict(now) for e in entries])
        return 0
    if not entries:
        print(
            "The watch list is empty." if args.all else "No active entries (--all for past ones)."
        )
        return 0
    rows = [("ID", "KIND", "SEVERITY", "UNTIL", "STATUS", "TERM")]
    for e in entries:
        term = e.term + (f" (also: {', '.join(e.aliases)})" if e.aliases else "")
        rows.append((e.id, e.kind, e.effective_severity.label, _day(e.until), e.status(now), term))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(r[:5])) + "  " + r[5])
    return 0


def run_show(args: argparse.Namespace) -> int:
    wl = _watch_list(args)
    entry = wl.get(args.id)
    history = wl.history(entry.id)
    if args.json:
        data = entry.to_dict()
        data["audit"] = [h.to_dict() for h in history]
        _print_json(data)
        return 0
    now = datetime.now(UTC)
    print(f"{entry.id}  {entry.term!r}  [{entry.status(now)}]")
    kind = entry.kind_info
    sev = entry.effective_severity.label + ("" if entry.severity else " (kind default)")
    print(f"  kind      {entry.kind} -> {kind.rule_id}, {kind.category}, {sev}")
    if entry.aliases:
        print(f"  aliases   {', '.join(entry.aliases)}")
    print(f"  until     {_day(entry.until) if entry.until else 'until removed'}")
    print(f"  added     {_when(entry.added_at)} by {entry.added_by} ({entry.added_by_platform})")
    if entry.removed_at:
        print(f"  removed   {_when(entry.removed_at)} by {entry.removed_by}")
    print(f"  note      {entry.note or '-'}   (approvers only)")
    print(f"  staff see {kind.message}")
    for h in history:
        who = h.actor.id if h.actor else "-"
        print(f"  audit     {_when(h.at)}  {h.action} {h.outcome} by {who}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    wl = _watch_list(args)
    entry = wl.remove(args.id, by=acting(args))
    if args.json:
        _print_json(entry.to_dict())
    else:
        print(f"Removed {entry.id}: {_describe(entry)}. Checks stop flagging it now.")
    return 0


def _describe(entry: WatchEntry) -> str:
    until = f", until {_day(entry.until)}" if entry.until else ""
    return f"{entry.term!r} ({entry.kind}, {entry.effective_severity.label}{until})"


def _day(when: datetime | None) -> str:
    if when is None:
        return "-"
    when = when.astimezone(UTC)
    return when.date().isoformat() if when.time().isoformat() == "00:00:00" else when.isoformat()


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "-"
