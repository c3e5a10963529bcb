"""Literals a regex's every match must contain: a gate that skips whole-text scans.

A pattern rule without ``triggers`` runs its regex on every draft, and most such
regexes begin with ``\\b`` or an alternation, so nothing told the engine in
advance that the draft cannot match. :func:`needs` reads the parsed pattern and
returns a few lower-case strings of which every match contains at least one
(``\\b(?:the|a)\\s+(?:patient|client)\\b`` needs "patient" or "client"; what a positive
lookaround sees counts too, since the test is on the whole draft). The policy's
Aho-Corasick pass finds which of them a draft holds; a matcher none of whose
needed strings occur skips its regex (and never compiles it).

The test is on the lower-cased text, which stands for the text only when
:func:`comparable` holds: same length (no character lower-cases to two) and none
of the characters that ``re`` folds to an ASCII letter while ``str.lower`` does
not (``ı``, ``ſ``). Case-insensitive non-ASCII letters in a pattern are not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from itertools import product
from pathlib import Path
from typing import Any

try:
    import _sre
    from re import _compiler, _constants, _parser  # type: ignore[attr-defined]

    C: Any = _constants
except (ImportError, AttributeError):  # pragma: no cover - other interpreters
    C = None

#: Most strings one element may stand for (``(?:bed|bay)\\s`` is two).
MAX_STRINGS = 16
#: Shortest needed string worth testing (single characters are in every draft).
MIN_LENGTH = 2
#: Characters ``re`` matches to an ASCII letter case-insensitively though ``str.lower``
#: leaves them alone (``İ`` lower-cases to two characters, which the length test catches).
_ODD_CASES = ("\u0131", "\u017f")


def comparable(text: str, lower: str) -> bool:
    """Whether substring tests on ``lower`` stand for regex matches on ``text``."""
    if len(text) != len(lower):
        return False
    return text.isascii() or not any(c in text for c in _ODD_CASES)


class _Unknown(Exception):
    pass


def _char(c: int, ignore_case: bool) -> str:
    ch = chr(c)
    low = ch.lower()
    if len(low) != 1 or ch in _ODD_CASES:
        raise _Unknown
    if ignore_case and not ch.isascii() and _sre.unicode_iscased(c):
        raise _Unknown
    return low


def _best(candidates: Iterable[frozenset[str]]) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    best_key: tuple[int, int] = (0, 0)
    for cand in candidates:
        if not cand or "" in cand:
            continue
        key = (min(map(len, cand)), -len(cand))
        if best is None or key > best_key:
            best, best_key = cand, key
    return best


def _seq(items: Any, flags: int) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(every string the sequence can match, when few; strings one of which it needs)."""
    runs: list[frozenset[str]] = []
    current: frozenset[str] | None = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    needs: list[frozenset[str]] = []
    for op, av in items:
        exact, need = _item(op, av, flags)
        if need is not None:
            needs.append(need)
        if exact is None:
            if current is not None:
                runs.append(current)
            current, whole = None, None
            continue
        if whole is not None:
            if len(whole) * len(exact) <= MAX_STRINGS:
                whole = frozenset(a + b for a, b in product(whole, exact))
            else:
                whole = None
        if current is None:
            current = exact
        elif len(current) * len(exact) <= MAX_STRINGS:
            current = frozenset(a + b for a, b in product(current, exact))
        else:
            runs.append(current)
            current = exact
    if current is not None:
        runs.append(current)
    return whole, _best([*runs, *needs])


def _item(op: Any, av: Any, flags: int) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    ignore_case = bool(flags & C.SRE_FLAG_IGNORECASE)
    try:
        if op is C.LITERAL:
            s = frozenset({_char(av, ignore_case)})
            return s, s
        if op is C.IN:
            chars: set[str] = set()
            for kind, value in av:
                if kind is C.LITERAL:
                    chars.add(_char(value, ignore_case))
                elif kind is C.RANGE and value[1] - value[0] < 8:
                    chars.update(_char(c, ignore_case) for c in range(value[0], value[1] + 1))
                else:
                    return None, None
            s = frozenset(chars)
            return (s, s) if len(s) <= 8 else (None, None)
    except _Unknown:
        return None, None
    if op is C.ASSERT:
        # Zero width, but what a positive lookaround sees is in the text: a gate on the
        # whole draft may need it (needs are tested on the draft, never on the match).
        exact, need = _seq(av[1], flags)
        if need is None and exact is not None and "" not in exact:
            need = exact
        return frozenset({""}), need
    if op is C.AT or op is C.ASSERT_NOT:
        return frozenset({""}), None  # zero width
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        return _seq(p, _compiler._combine_flags(flags, add_flags, del_flags))
    if op is C.BRANCH:
        exacts: set[str] | None = set()
        needs: set[str] | None = set()
        for p in av[1]:
            exact, need = _seq(p, flags)
            if exacts is not None:
                exacts = exacts | exact if exact is not None else None
                if exacts is not None and len(exacts) > MAX_STRINGS:
                    exacts = None
            if needs is not None:
                if need is None and exact is not None and "" not in exact:
                    need = exact
                needs = needs | need if need is not None else None
        return (
            frozenset(exacts) if exacts is not None else None,
            frozenset(needs) if needs else None,
        )
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, hi, p = av
        exact, need = _seq(p, flags)
        if need is None and exact is not None and "" not in exact:
            need = exact
        out: frozenset[str] | None = None
        if exact is not None and hi <= 4:  # x?, x{1,2}: every string, when few
            found: set[str] = set()
            power = frozenset({""})
            for k in range(hi + 1):
                if k >= lo:
                    found |= power
                power = frozenset(a + b for a, b in product(power, exact))
                if len(found) + len(power) > MAX_STRINGS:
                    break
            else:
                out = frozenset(found)
        return out, need if lo >= 1 else None
    if op is C.ATOMIC_GROUP:
        return _seq(av, flags)
    return None, None


def needs(source: str, flags: int) -> frozenset[str] | None:
    """Lower-case strings one of which every match of ``source`` contains (None: no such
    set worth testing, or the pattern could not be read)."""
    return needs_and_width(source, flags)[0]


def needs_and_width(source: str, flags: int) -> tuple[frozenset[str] | None, int]:
    """:func:`needs`, and the shortest match's length (-1: unreadable), from one parse.

    Remembered across processes (:func:`save_memo`): after a policy edit the build
    reads the few hundred unchanged patterns' answers instead of parsing them again."""
    need, width, _prefixes = analyse(source, flags)
    return need, width


def analyse(source: str, flags: int) -> tuple[frozenset[str] | None, int, frozenset[str] | None]:
    """:func:`needs_and_width`, and :func:`prefixes`, from one parse (remembered likewise)."""
    memo = (_memo if _memo is not None else _load_memo())["needs"]
    key = f"{int(flags)}\x1f{source}"
    hit = memo.get(key)
    if hit is not None and len(hit) == 3:
        return (
            frozenset(hit[0]) if hit[0] is not None else None,
            int(hit[1]),
            frozenset(hit[2]) if hit[2] is not None else None,
        )
    need, width, starts = _analyse(source, flags, _parsed.pop(key, None))
    memo[key] = (
        sorted(need) if need is not None else None,
        width,
        sorted(starts) if starts is not None else None,
    )
    _new.append(key)
    return need, width, starts


def prefixes(source: str, flags: int) -> frozenset[str] | None:
    """Lower-case strings one of which every match of ``source`` *starts* with (the text it
    consumes, lookarounds aside), each of at least :data:`MIN_LENGTH` characters; None
    when no such set is known. A long text's matches can then be looked for only where
    those strings occur (``Matcher._spans_at``) instead of at every character."""
    return analyse(source, flags)[2]


def compile_checked(source: str, flags: int) -> None:
    """``re.compile(source, flags)`` as a check (raises the same ``re.error``), keeping the
    parse for :func:`needs_and_width`, which the build asks next: one parse, not two.
    Records the success (:func:`note_compiled`)."""
    if C is None:
        re.compile(source, flags)
    else:
        parsed = _parser.parse(source, flags)
        _compiler.compile(parsed, flags)  # code generation reads the parse, never edits it
        if len(_parsed) > 64:
            _parsed.clear()
        _parsed[f"{int(flags)}\x1f{source}"] = parsed
    note_compiled(source, flags)


#: Parses kept by :func:`compile_checked` for the :func:`needs_and_width` call that follows.
_parsed: dict[str, Any] = {}


def compiled_before(source: str, flags: int) -> bool:
    """Whether a policy build of this Python compiled ``source`` without error
    (:func:`note_compiled`): an edit elsewhere in the policy need not compile it again."""
    memo = _memo if _memo is not None else _load_memo()
    return f"{int(flags)}\x1f{source}" in memo["compiled"]


def note_compiled(source: str, flags: int) -> None:
    """Record that ``re.compile(source, flags)`` succeeded (see :func:`compiled_before`)."""
    memo = _memo if _memo is not None else _load_memo()
    key = f"{int(flags)}\x1f{source}"
    if key not in memo["compiled"]:
        memo["compiled"][key] = 1
        _new.append(key)


#: Past this many entries (years of policy edits) the memo file is started again.
MAX_MEMO = 50_000
#: Answers of :func:`needs_and_width` ("needs") and patterns known to compile ("compiled"),
#: by flags and source, read from the cache folder.
_memo: dict[str, dict[str, Any]] | None = None
#: Keys added by this process (written by :func:`save_memo`).
_new: list[str] = []


def _memo_path() -> Path | None:
    """The memo file: named for this module's code and the Python build, so an edit to
    the analysis or another ``re`` parser never reads old answers."""
    from bot.policy.cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    stamp = hashlib.sha256(Path(__file__).read_bytes() + sys.version.encode()).hexdigest()
    return folder / f"needs-{stamp[:16]}.json"


def _load_memo() -> dict[str, dict[str, Any]]:
    global _memo
    memo: dict[str, dict[str, Any]] = {"needs": {}, "compiled": {}}
    path = _memo_path()
    if path is not None:
        try:
            data = json.loads(path.read_bytes())
            ok = isinstance(data, dict) and all(isinstance(data.get(k), dict) for k in memo)
            if ok and sum(len(data[k]) for k in memo) < MAX_MEMO:  # else start again
                memo = {k: data[k] for k in memo}
        except (OSError, ValueError):
            pass  # missing or damaged: the answers are worked out again
    _memo = memo
    return memo


def save_memo() -> None:
    """Write the answers worked out by this process (after a policy build); best effort."""
    if not _new or _memo is None:
        return
    path = _memo_path()
    _new.clear()
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".needs-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_memo, fh)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def reset_memo() -> None:
    """Forget the memo (tests that switch cache folders)."""
    global _memo
    _memo = None
    _new.clear()
    _parsed.clear()


def _analyse(
    source: str, flags: int, parsed: Any = None
) -> tuple[frozenset[str] | None, int, frozenset[str] | None]:
    if C is None:
        return None, -1, None
    if parsed is None:
        try:
            parsed = _parser.parse(source, flags)
        except Exception:
            return None, -1, None
    width = int(parsed.getwidth()[0])
    if flags & C.SRE_FLAG_LOCALE:
        return None, width, None
    starts = _starts(parsed.data, flags | parsed.state.flags) if width > 0 else None
    return _needs(parsed, flags), width, starts


#: Most strings a prefix set may hold (each is a key of the long-text automaton).
MAX_PREFIXES = 256


def _starts(items: Any, flags: int) -> frozenset[str] | None:
    """:func:`prefixes` of a parsed sequence (None: not known, or too short to use)."""
    try:
        found = _seq_prefixes(items, flags)
    except _Unknown:
        return None
    if not found or min(map(len, found)) < MIN_LENGTH:
        return None
    return starts_minimal(found)


def _seq_prefixes(items: Any, flags: int) -> frozenset[str]:
    """Strings one of which the text a sequence consumes starts with (raises _Unknown).

    The strings of a leading run of exactly known items (zero-width items skipped: they
    consume nothing), then the prefixes of the first item not exactly known."""
    out: frozenset[str] = frozenset({""})
    for op, av in items:
        if op is C.AT or op is C.ASSERT or op is C.ASSERT_NOT:
            continue
        exact, _need = _item(op, av, flags)
        if exact is not None:
            if len(out) * len(exact) > MAX_STRINGS:
                break
            out = frozenset(a + b for a, b in product(out, exact))
            continue
        if "" not in out:
            break  # every match already starts with one of these
        inner = _item_prefixes(op, av, flags)
        if len(out) * len(inner) > MAX_PREFIXES:
            break
        out = frozenset(a + b for a, b in product(out, inner))
        break
    if "" in out:
        raise _Unknown  # the sequence may consume nothing known (or nothing at all)
    return out


def _item_prefixes(op: Any, av: Any, flags: int) -> frozenset[str]:
    """Prefixes of one item whose strings are not exactly known (raises _Unknown)."""
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        return _seq_prefixes(p, _compiler._combine_flags(flags, add_flags, del_flags))
    if op is C.BRANCH:
        out: set[str] = set()
        for p in av[1]:
            out |= _seq_prefixes(p, flags)
            if len(out) > MAX_PREFIXES:
                raise _Unknown
        return frozenset(out)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _seq_prefixes(av[2], flags)
    if op is C.ATOMIC_GROUP:
        return _seq_prefixes(av, flags)
    raise _Unknown


def starts_minimal(strings: frozenset[str]) -> frozenset[str]:
    """Drop strings that start with another of the set: a text holding "cases" at some
    place holds "case" there too."""
    ordered = sorted(strings)
    kept: list[str] = []
    for s in ordered:  # sorted: a string's own prefixes come just before it
        if kept and s.startswith(kept[-1]):
            continue
        kept.append(s)
    return frozenset(kept)


def _needs(parsed: Any, flags: int) -> frozenset[str] | None:
    exact, need = _seq(parsed.data, flags | parsed.state.flags)
    if need is None and exact is not None and "" not in exact:
        need = exact
    if need is None or min(map(len, need)) < MIN_LENGTH:
        return None
    return minimal(need)


def minimal(strings: frozenset[str]) -> frozenset[str]:
    """Drop strings that hold another of the set: "mr" present, "mrs." adds nothing."""
    if len(strings) > 64:
        return strings  # long lists: the pass would cost more than it saves
    ordered = sorted(strings, key=len)
    kept: list[str] = []
    for s in ordered:
        if not any(k in s for k in kept):
            kept.append(s)
    return frozenset(kept)
