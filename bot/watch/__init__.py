"""The comms team's watch list: live cases, injunctions, embargoes, codenames, people, topics.

Approvers add entries (CLI ``canipost watch``, Slack, Teams, the dashboard);
every review then flags drafts that name one, with rule id ``watch.<kind>``.
The list is confidential: staff see only the kind's message, never the entry
or its note, and the list is never sent to the LLM.

For other parts of canipost:

* :func:`watch_spans` — for LLM redaction: where watch terms are in a text.
* :func:`watch_hits` — for approver views: which entry each match is (with its note).
* :func:`entries_for_findings` — for approver views: the entry behind each
  ``watch.<kind>`` finding of a stored verdict (look the entry up further with
  ``WatchList.get(entry.id, viewer=...)``).
* :class:`bot.watch.service.WatchList` — add / list / show / remove with an actor and
  the approver check, audited (chat surfaces, dashboard, CLI).
* :mod:`bot.watch.live` — how changes reach every worker within a second.

Nothing here imports SQLAlchemy unless the database is PostgreSQL, so ``canipost
check`` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config import Config
from bot.text import prepare
from bot.verdict import Finding
from bot.watch.kinds import KINDS, Kind
from bot.watch.matcher import WatchHit
from bot.watch.types import WatchEntry

__all__ = [
    "KINDS",
    "Kind",
    "WatchEntry",
    "WatchHit",
    "entries_for_findings",
    "term_spans",
    "watch_hits",
    "watch_spans",
]


def watch_spans(
    text: str, config: Config | None = None, *, url: str | None = None, now: datetime | None = None
) -> list[tuple[int, int, str]]:
    """Spans of active watch-list terms in ``text``: ``[(start, end, kind), ...]``.

    For the LLM redaction: replace each span with a placeholder such as
    ``[CODENAME_1]`` (``kind.upper()``) before anything leaves the process, and
    never put the list itself in a prompt. Offsets are ``str`` indices into
    ``text`` exactly as given; spans are sorted and may touch but are merged
    when they overlap (the first kind wins). Reads the same live list as the
    review (``url`` defaults to ``DATABASE_URL``); costs one automaton pass.
    ``config`` picks the workspace (None: the single-organisation install).

    Raises :class:`bot.watch.live.WatchUnavailable` when the list has never been
    readable in this process, so a caller can fail closed rather than leak a term.
    """
    spans: list[tuple[int, int, str]] = []
    for hit in _hits(text, config or Config(), url=url, now=now, strict=True):
        if spans and hit.start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (last[0], max(last[1], hit.end), last[2])
            continue
        spans.append((hit.start, hit.end, hit.entry.kind))
    return spans


def watch_hits(
    text: str, config: Config, *, url: str | None = None, now: datetime | None = None
) -> list[WatchHit]:
    """Every match of an active entry in ``text``, with the entry (term, kind, note, until).

    For approver views (Slack approval card, Teams card, dashboard submission
    page): call it with the submission's text to show which watch entry a
    ``watch.<kind>`` finding came from and the note the comms team left.
    Never show its result to staff.
    """
    return _hits(text, config, url=url, now=now, strict=False)


def entries_for_findings(
    text: str,
    findings: Sequence[Finding],
    config: Config,
    *,
    url: str | None = None,
    now: datetime | None = None,
) -> dict[int, WatchEntry]:
    """Which entry each ``watch.<kind>`` finding of a verdict on ``text`` came from.

    For approver views: ``{index in findings: entry}`` (entry with id, term, note,
    until, who added it). Findings are matched by their offsets and kind; an
    entry removed since the review, or text already purged, gives no row.
    Staff views must never call this.
    """
    hits = {
        (h.start, h.end, h.entry.kind): h.entry for h in watch_hits(text, config, url=url, now=now)
    }
    out: dict[int, WatchEntry] = {}
    for i, f in enumerate(findings):
        if f.rule.startswith("watch.") and f.start is not None and f.end is not None:
            entry = hits.get((f.start, f.end, f.rule.removeprefix("watch.")))
            if entry is not None:
                out[i] = entry
    return out


#: Same as :func:`watch_spans` (the name the LLM redaction looks for).
term_spans = watch_spans


def _hits(
    text: str, config: Config, *, url: str | None, now: datetime | None, strict: bool
) -> list[WatchHit]:
    from bot.watch.live import matcher_for

    if not text:
        return []
    matcher = matcher_for(config, url, strict=strict)
    if matcher is None:
        return []
    return matcher.find(prepare(text), now)
