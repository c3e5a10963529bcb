"""Compiled regular-expression programs, kept across processes.

The rule engine compiles one small regex per anchor group the first time a
draft reaches it (thousands over a policy). Python's ``re`` spends ~0.3 ms
parsing and compiling each one, and a compiled pattern cannot be pickled (it
pickles as its source and compiles again), so every fresh process paid that
again: a batch over unseen drafts ran at a fifth of the warm speed.

:func:`compile_regex` keeps the *compiled program* instead: the code list that
``re``'s compiler hands to ``_sre.compile``. A later process rebuilds the
pattern from it in microseconds, with no parsing. Programs live in a SQLite
file beside the compiled-policy cache (:func:`bot.policy.cache.cache_dir`),
keyed by source and flags, in a file named for the Python build and the
regex engine's version (``_sre.MAGIC``), so another Python never reads them.
``_sre`` validates every program it is given; anything unexpected (another
interpreter, a damaged file) falls back to ``re.compile``. New programs are
written once, when the process exits.

Programs are compiled with a start hint (:mod:`bot.policy.starts`): patterns that
begin with ``\\b`` or a lookbehind get the literal prefix or first-character set that
``re`` itself gives only to patterns beginning with a literal. Same matches, and
the engine skips the characters no match can start on.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import sys
import threading
from array import array
from collections.abc import Callable
from typing import Any

log = logging.getLogger("canipost.policy")

try:  # CPython's engine; elsewhere every call is plain re.compile
    import _sre
    from re import _parser  # type: ignore[attr-defined]

    from bot.policy import starts

    _MAGIC: int | None = int(_sre.MAGIC)
except (ImportError, AttributeError):  # pragma: no cover - other interpreters
    _MAGIC = None

_lock = threading.Lock()
_db: Any = None  # sqlite3 connection, False when unusable
_pending: list[tuple[str, int, str, bytes, int, int, str, str]] = []
_flush_registered = False
_pid = os.getpid()
#: Keep the file bounded: past this many programs it is cleared and refilled.
MAX_PROGRAMS = 100_000


def _connect() -> Any:
    global _db, _pid
    if _pid != os.getpid():  # a forked worker: never use the parent's SQLite connection
        _db, _pid = None, os.getpid()
        _pending.clear()
        _fetched.clear()
        _forget_bulk()
    if _db is None:
        _db = False
        from bot.policy.cache import cache_dir

        folder = cache_dir()
        if folder is None or _MAGIC is None:
            return False
        try:
            import sqlite3

            folder.mkdir(parents=True, exist_ok=True)
            tag = f"{sys.implementation.cache_tag}-{_MAGIC}-{array('I').itemsize}-v4"
            db = sqlite3.connect(
                str(folder / f"regex-{tag}.sqlite3"),
                timeout=1.0,
                isolation_level=None,
                check_same_thread=False,
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS programs (key TEXT NOT NULL, flags INTEGER NOT NULL,"
                " source TEXT NOT NULL, code BLOB NOT NULL, final_flags INTEGER NOT NULL,"
                " groups INTEGER NOT NULL, groupindex TEXT NOT NULL, indexgroup TEXT NOT NULL,"
                " PRIMARY KEY (key, flags))"
            )
            _db = db
        except Exception as exc:
            log.info("regex program cache unavailable in %s (%s)", folder, type(exc).__name__)
    return _db


def compile_regex(
    source: str | Callable[[], str], flags: int = 0, *, key: str | None = None
) -> re.Pattern[str]:
    """``re.compile(source, flags)``, reusing a program compiled by an earlier process.

    ``source`` may be a function building it, called only when no program is kept
    under ``key`` (default: the source itself), so a hit costs no source building.
    """
    if key is None:
        source = source() if callable(source) else source
        key = source
    if _MAGIC is None:
        return re.compile(source() if callable(source) else source, flags)
    global _asked
    with _lock:
        db = _connect()
        pair = (key, int(flags))
        row = _fetched.pop(pair, _UNKNOWN)
        if row is _UNKNOWN and _all is not None:
            row = _all.get(pair)
        elif row is _UNKNOWN and db:
            _asked += 1
            if _asked > BULK_AFTER and _read_all(db):
                row = _all.get(pair) if _all is not None else None
            else:
                try:
                    row = db.execute(
                        "SELECT source, code, final_flags, groups, groupindex, indexgroup"
                        " FROM programs WHERE key = ? AND flags = ?",
                        pair,
                    ).fetchone()
                except Exception:
                    row = None
        elif row is _UNKNOWN:
            row = None
    if row is not None:
        try:
            code = array("I")
            code.frombytes(row[1])
            # Most programs have no named groups: skip the JSON parser for those.
            indexgroup = (None,) if row[5] == "[null]" else tuple(json.loads(row[5]))
            groupindex = {} if row[4] == "{}" else json.loads(row[4])
            pattern: re.Pattern[str] = _sre.compile(
                row[0], row[2], code.tolist(), row[3], groupindex, indexgroup
            )
            return pattern
        except Exception:  # damaged or foreign entry: compile it the ordinary way
            pass
    return _compile_and_keep(source() if callable(source) else source, flags, key)


#: Rows read ahead by :func:`prefetch`, by (key, flags); None: known not to be kept.
_fetched: dict[tuple[str, int], Any] = {}
#: Past this many programs asked for one by one (a batch of new drafts, not one ``check``),
#: every kept program is read in one query (:func:`_read_all`): one query each cost more.
BULK_AFTER = 64
#: Only when the file holds at most this many programs.
BULK_MAX = 20_000
_asked = 0
#: Every kept program by (key, flags), once read in bulk (None: not read).
_all: dict[tuple[str, int], Any] | None = None


def _read_all(db: Any) -> bool:
    """Read every kept program into :data:`_all` (False when too many, or on an error)."""
    global _all, _asked
    try:
        (count,) = db.execute("SELECT count(*) FROM programs").fetchone()
        if count > BULK_MAX:
            _asked = -(10**9)  # never try again in this process
            return False
        rows = db.execute(
            "SELECT key, flags, source, code, final_flags, groups, groupindex, indexgroup"
            " FROM programs"
        ).fetchall()
    except Exception:
        _asked = -(10**9)
        return False
    _all = {(row[0], int(row[1])): tuple(row[2:]) for row in rows}
    return True


_UNKNOWN: Any = object()
#: Keys per query (SQLite allows 32,766 parameters; two per key).
_BATCH = 400


def prefetch(wanted: list[tuple[str, int]]) -> None:
    """Read the kept programs for ``wanted`` (key, flags) pairs in a few queries, ahead of
    the :func:`compile_regex` calls that will ask for them one by one (a long post
    reaches over a thousand programs; one query each was most of its first review)."""
    if _MAGIC is None or not wanted:
        return
    with _lock:
        db = _connect()
        if not db or _all is not None:
            return  # every kept program is at hand already
        todo = sorted({(k, int(f)) for k, f in wanted} - _fetched.keys())
        try:
            for i in range(0, len(todo), _BATCH):
                chunk = todo[i : i + _BATCH]
                for pair in chunk:
                    _fetched[pair] = None
                marks = ",".join("?" * len({k for k, _ in chunk}))
                rows = db.execute(
                    "SELECT key, flags, source, code, final_flags, groups, groupindex, indexgroup"
                    f" FROM programs WHERE key IN ({marks})",
                    sorted({k for k, _ in chunk}),
                ).fetchall()
                for row in rows:
                    pair = (row[0], int(row[1]))
                    if pair in _fetched:
                        _fetched[pair] = tuple(row[2:])
        except Exception:  # leave the rest to compile_regex's own queries
            for pair in todo:
                if _fetched.get(pair, _UNKNOWN) is None:
                    del _fetched[pair]
        if len(_fetched) > 50_000:
            _fetched.clear()


def _compile_and_keep(source: str, flags: int, key: str) -> re.Pattern[str]:
    global _flush_registered
    try:
        parsed = _parser.parse(source, flags)
        code = starts.code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        final_flags = flags | parsed.state.flags
        groups = parsed.state.groups - 1
        pattern: re.Pattern[str] = _sre.compile(
            source, final_flags, code, groups, groupindex, tuple(indexgroup)
        )
        blob = array("I", code).tobytes()
    except Exception:
        return re.compile(source, flags)  # errors (bad patterns) raise from here as usual
    with _lock:
        if _connect():
            _pending.append(
                (
                    key,
                    flags,
                    source,
                    blob,
                    final_flags,
                    groups,
                    json.dumps(groupindex),
                    json.dumps(indexgroup),
                )
            )
            if not _flush_registered:
                atexit.register(flush)
                _flush_registered = True
    return pattern


def flush() -> None:
    """Write the programs compiled by this process (at exit; servers may call it after warm-up)."""
    with _lock:
        rows = list(_pending)
        _pending.clear()
        db = _connect()
        if not rows or not db:
            return
        try:
            (count,) = db.execute("SELECT count(*) FROM programs").fetchone()
            db.execute("BEGIN IMMEDIATE")
            if count + len(rows) > MAX_PROGRAMS:
                db.execute("DELETE FROM programs")
            db.executemany("INSERT OR IGNORE INTO programs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
        except Exception as exc:  # busy or read-only: the programs are compiled again next time
            log.info("regex programs not saved (%s)", type(exc).__name__)
            with contextlib.suppress(Exception):
                db.execute("ROLLBACK")


def _forget_bulk() -> None:
    global _all, _asked
    _all, _asked = None, 0


def reset() -> None:
    """Close the program file (tests that switch cache folders)."""
    global _db
    with _lock:
        _pending.clear()
        _fetched.clear()
        _forget_bulk()
        if _db:
            _db.close()
        _db = None
