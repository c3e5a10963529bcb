"""``canipost db``: database schema management.

``canipost db upgrade`` is what a release step runs (Heroku ``release:``);
it is safe when several instances run it at once. The embedded SQLite
default also migrates itself on first use, so a laptop needs no setup.
"""

from __future__ import annotations

import argparse

from sqlalchemy.exc import OperationalError

from bot.store import (
    StoreUnavailable,
    current_revision,
    head_revision,
    resolve_url,
    safe_url,
    upgrade,
)
from bot.store.engine import make_engine


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database schema: upgrade, current")
    d = p.add_subparsers(dest="db_command", metavar="ACTION")
    p.set_defaults(func=lambda _args: _help(p))
    u = d.add_parser(
        "upgrade",
        help="migrate DATABASE_URL to the newest schema (safe to run concurrently)",
    )
    u.add_argument("--revision", default="head", help="target revision (default head)")
    u.set_defaults(func=run_upgrade)
    c = d.add_parser("current", help="show the schema revision of DATABASE_URL")
    c.set_defaults(func=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    url = resolve_url()
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        after = upgrade(engine, args.revision)
    except OperationalError as exc:
        raise StoreUnavailable(f"cannot open the database {safe_url(url)}: {_first(exc)}") from None
    finally:
        engine.dispose()
    if before == after:
        print(f"{safe_url(url)}: already at revision {after}")
    else:
        print(f"{safe_url(url)}: upgraded from {before or 'empty'} to {after}")
    return 0


def run_current(args: argparse.Namespace) -> int:
    url = resolve_url()
    engine = make_engine(url)
    try:
        rev = current_revision(engine)
    except OperationalError as exc:
        raise StoreUnavailable(f"cannot open the database {safe_url(url)}: {_first(exc)}") from None
    finally:
        engine.dispose()
    head = head_revision()
    status = "up to date" if rev == head else f"behind head {head}: run `canipost db upgrade`"
    print(f"{safe_url(url)}: revision {rev or 'empty'} ({status})")
    return 0


def _first(exc: OperationalError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2
