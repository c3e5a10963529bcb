"""Where a match can start: a search hint added to compiled regex programs.

Python's ``re`` scans fast for a match only when a pattern begins with a literal
(it jumps to each occurrence of the literal) or with a set of characters (it
skips every character outside the set in C). A pattern that begins with ``\\b``,
a lookbehind or an alternation of words gets neither: the engine starts a match
attempt at every character of the text. Most policy patterns begin that way
(``\\b(?:bed|bay|ward)\\s*\\d+``, the terms' ``(?<![\\w'])`` tries), so a long post
paid a full attempt per character per pattern.

:func:`code` compiles a parsed pattern exactly as ``re`` does and, when ``re``
found no prefix of its own, adds the hint that the pattern's first *consumed*
character allows: zero-width items at the start (``\\b``, ``^``, lookarounds)
consume nothing, so the match starts on the character after them. The hint is
a literal prefix (every match starts with this string) or a character set (every
match starts with one of these characters). Both are the engine's own search
optimisations; it still runs the whole pattern, assertions included, at each
place the hint admits. So the matches are the same, found sooner.

Case-insensitive parts widen each character to every character the engine treats
as the same letter: ``tolower(x)`` equal, or one of ``re``'s extra cases (``ı``
for ``i``, ``ſ`` for ``s``, the Kelvin sign for ``k``). Only ASCII letters are
widened (see :data:`ASCII_CASES`, checked against the whole of Unicode by the
tests); a case-insensitive non-ASCII letter gives up the hint.
"""

from __future__ import annotations

from typing import Any

try:  # CPython's engine internals (as in bot.policy.programs)
    import _sre
    from re import _compiler, _constants, _parser  # type: ignore[attr-defined]

    C: Any = _constants
except (ImportError, AttributeError):  # pragma: no cover - other interpreters
    C = None

#: Every character the engine matches, case-insensitively, for an ASCII letter.
ASCII_CASES: dict[int, frozenset[int]] = {}
for _c in range(ord("a"), ord("z") + 1):
    ASCII_CASES[_c] = ASCII_CASES[_c - 32] = frozenset({_c, _c - 32})
for _letter, _extra in (("i", "\u0130\u0131"), ("k", "\u212a"), ("s", "\u017f")):
    _both = ASCII_CASES[ord(_letter)] | {ord(x) for x in _extra}
    ASCII_CASES[ord(_letter)] = ASCII_CASES[ord(_letter.upper())] = _both

#: A set wider than this is no use as a hint (and ranges are not expanded past it).
MAX_SET = 400


class _Any(Exception):
    """The start can be any character: no hint."""


def _chars(c: int, ignore_case: bool) -> frozenset[int]:
    if not ignore_case or not _sre.unicode_iscased(c):
        return frozenset((c,))
    cases = ASCII_CASES.get(c)
    if cases is None:
        raise _Any
    return cases


def _first(items: Any, flags: int) -> tuple[set[Any], bool]:
    """What a match of ``items`` (a sequence) can start with: characters (ints) and
    categories (``("category", CATEGORY_DIGIT)``), and whether it can match the empty
    string (then what follows it can start the match too)."""
    out: set[Any] = set()
    for op, av in items:
        chars, nullable = _first_item(op, av, flags)
        out |= chars
        if len(out) > MAX_SET:
            raise _Any
        if not nullable:
            return out, False
    return out, True


#: Categories a start may be (``\d``, ``\w``, ``\s``): the engine tests them as such.
_CATEGORIES = ("CATEGORY_DIGIT", "CATEGORY_WORD", "CATEGORY_SPACE")


def _first_item(op: Any, av: Any, flags: int) -> tuple[set[Any], bool]:
    ignore_case = bool(flags & C.SRE_FLAG_IGNORECASE)
    if flags & C.SRE_FLAG_LOCALE or not flags & C.SRE_FLAG_UNICODE:
        raise _Any
    if op is C.LITERAL:
        return set(_chars(av, ignore_case)), False
    if op is C.IN:
        out: set[Any] = set()
        for kind, value in av:
            if kind is C.LITERAL:
                out |= _chars(value, ignore_case)
            elif kind is C.RANGE:
                lo, hi = value
                if hi - lo > MAX_SET:
                    raise _Any
                for c in range(lo, hi + 1):
                    out |= _chars(c, ignore_case)
            elif kind is C.CATEGORY and str(value) in _CATEGORIES:
                out.add(("category", value))  # case plays no part in a category
            else:  # NEGATE, negated categories: too wide
                raise _Any
        return out, False
    if op is C.AT or op is C.ASSERT or op is C.ASSERT_NOT:
        return set(), True  # zero width: the match starts on what follows
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        if (add_flags | del_flags) & _parser.TYPE_FLAGS:
            raise _Any  # (?a:...) and the like: categories would mean something else
        return _first(p, _compiler._combine_flags(flags, add_flags, del_flags))
    if op is C.BRANCH:
        out, nullable = set(), False
        for p in av[1]:
            chars, empty = _first(p, flags)
            out |= chars
            nullable = nullable or empty
        return out, nullable
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, _hi, p = av
        chars, empty = _first(p, flags)
        return chars, empty or lo == 0
    if op is C.ATOMIC_GROUP:
        return _first(av, flags)
    raise _Any  # ANY, NOT_LITERAL, GROUPREF...


def _literal_prefix(items: Any, flags: int) -> list[int]:
    """A case-exact literal every match starts with, after leading zero-width items."""
    prefix: list[int] = []
    started = False
    ignore_case = bool(flags & C.SRE_FLAG_IGNORECASE)
    for op, av in items:
        if not started and op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        started = True
        if op is C.LITERAL and not (ignore_case and _sre.unicode_iscased(av)):
            prefix.append(av)
            continue
        break
    return prefix


_AT_START = (C.AT_BEGINNING, C.AT_BEGINNING_STRING) if C is not None else ()


def hint(parsed: Any, flags: int) -> tuple[str, list[Any]] | None:
    """``("prefix", chars)`` or ``("charset", items)`` for a pattern ``re`` gives no hint of
    its own (None when it has one, or when the start can be any character)."""
    lo, _hi = parsed.getwidth()
    if lo == 0 or flags & C.SRE_FLAG_LOCALE:
        return None
    if parsed.data and parsed.data[0][0] is C.AT and parsed.data[0][1] in _AT_START:
        return None  # re tries ``^...`` at the start only, which no hint could beat
    prefix, _skip, _all = _compiler._get_literal_prefix(parsed, flags)
    if prefix or _compiler._get_charset_prefix(parsed, flags):
        return None  # re's own optimisation applies
    mine = _literal_prefix(parsed.data, flags)
    if mine:
        return ("prefix", mine)
    try:
        chars, nullable = _first(parsed.data, flags)
    except _Any:
        return None
    if nullable or not chars:
        return None
    items: list[Any] = [(C.LITERAL, c) for c in sorted(x for x in chars if isinstance(x, int))]
    items += [
        (C.CATEGORY, x[1]) for x in sorted((x for x in chars if not isinstance(x, int)), key=str)
    ]
    return ("charset", items)


def code(parsed: Any, flags: int) -> list[int]:
    """``re._compiler._code(parsed, flags)``, with the start hint when there is one."""
    flags = parsed.state.flags | flags
    found = hint(parsed, flags)
    if found is None:
        return list(_compiler._code(parsed, flags))
    lo, hi = parsed.getwidth()
    hi = min(hi, _compiler.MAXCODE)
    lo = min(lo, _compiler.MAXCODE)
    out: list[int] = [C.INFO, 0]
    skip = 1
    kind, items = found
    if kind == "prefix":
        prefix = items
        out += [C.SRE_INFO_PREFIX, lo, hi, len(prefix), 0, *prefix]
        out += _compiler._generate_overlap_table(prefix)
    else:
        out += [C.SRE_INFO_CHARSET, lo, hi]
        charset, hascased = _compiler._optimize_charset(items)
        assert not hascased
        _compiler._compile_charset(charset, flags, out)
    out[skip] = len(out) - skip
    _compiler._compile(out, parsed.data, flags)
    out.append(C.SUCCESS)
    return out


def parse(source: str, flags: int) -> Any:
    return _parser.parse(source, flags)
