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
    with _lock:
        db = _connect()
        row = None
        if db:
            try:
                row = db.execute(
                    "SELECT source, code, final_flags, groups, groupindex, indexgroup"
                    " FROM programs WHERE key = ? AND flags = ?",
                    (key, flags),
                ).fetchone()
            except Exception:
                row = None
    if row is not None:
        try:
            code = array("I")
            code.frombytes(row[1])
            indexgroup = tuple(json.loads(row[5]))
            pattern: re.Pattern[str] = _sre.compile(
                row[0], row[2], code.tolist(), row[3], json.loads(row[4]), indexgroup
            )
            return pattern
        except Exception:  # damaged or foreign entry: compile it the ordinary way
            pass
    return _compile_and_keep(source() if callable(source) else source, flags, key)


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


def reset() -> None:
    """Close the program file (tests that switch cache folders)."""
    global _db
    with _lock:
        _pending.clear()
        if _db:
            _db.close()
        _db = None
