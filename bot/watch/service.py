"""Add, list, show and remove watch entries — the one API behind the CLI, Slack, Teams and the dashboard.

    wl = WatchList(open_store(), config=load_config())
    entry = wl.add("Project Lighthouse", kind="embargo", until="2027-03-01",
                   by=Actor("slack", "U123", "Sam"), note="Board paper, ask Jo")
    wl.entries()                       # active entries, newest first
    wl.entries(include_all=True)       # with expired and removed ones
    wl.remove(entry.id, by=Actor("slack", "U123"))

Rules, kept here once for every surface:

* Only approvers add or remove (the config's approvers for the actor's platform,
  ``approvers.any``, ``CANIPOST_APPROVERS``, backups; or the ``is_approver`` hook a
  platform passes, e.g. a Slack user group). Anyone else gets :class:`WatchRefused`
  (exit 3), and the attempt is in the audit log. Pass ``viewer=`` to
  :meth:`WatchList.entries` / :meth:`WatchList.get` on chat surfaces: the list is
  confidential and only approvers see it.
* Bad input is an :class:`~bot.errors.InputError` (exit 2) with one clear line:
  empty or too-short term, a common word on its own, unknown kind or severity,
  an ``until`` already past. A term or alias another active entry already has
  changes nothing: :class:`DuplicateEntry` names that entry.
* Every add and removal, allowed or refused, is audited (``watch_add`` /
  ``watch_remove``, outcome ``ok`` / ``refused``), with the entry id as the
  subject. The audit log is append-only, so it records ids and kinds, never the
  term or the note (a protected person's name must not outlive the entry).
* Entries are never deleted or edited: removal is recorded on the row. To change
  an entry, remove it and add a new one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.config import Config
from bot.errors import InputError, WorkflowError
from bot.store import models as m
from bot.store.database import Store
from bot.verdict import Severity
from bot.watch import live
from bot.watch.kinds import parse_kind, parse_severity
from bot.watch.terms import MAX_ALIASES, canonical_keys, validate_term
from bot.watch.types import WatchEntry
from bot.workflow.service import audit_record
from bot.workflow.types import Actor, AuditRecord

PREFIX = "W-"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_LENGTH = 8
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
#: Longest note accepted.
MAX_NOTE = 2000


class WatchRefused(WorkflowError):
    """Not an approver: the list is the comms team's (exit 3; the attempt is audited)."""


class DuplicateEntry(InputError):
    """The term or an alias is already on the list; nothing changed. ``.entry`` is the holder."""

    def __init__(self, message: str, entry: WatchEntry) -> None:
        super().__init__(message)
        self.entry = entry


class UnknownEntry(InputError):
    """No entry with that id in this workspace (exit 2)."""


def new_entry_id() -> str:
    """A fresh id such as ``W-7K2M9QXD``: 40 random bits, easy to read out and type."""
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def normalise_entry_id(value: str) -> str:
    """Canonical spelling of a typed id: ``w-7k2m9qxd`` -> ``W-7K2M9QXD``."""
    raw = (value or "").strip()
    body = raw[2:] if raw[:2].upper() == PREFIX else raw
    body = body.upper().replace("-", "").translate(_LOOKALIKES)
    if len(body) == _LENGTH and all(c in _ALPHABET for c in body):
        return PREFIX + body
    return raw


def parse_until(value: str | date | datetime | None, *, now: datetime) -> datetime | None:
    """When a new entry stops matching: ``YYYY-MM-DD`` is midnight UTC at the start of that day.

    A full ISO time (``2027-03-01T09:30+00:00``) is taken as given (UTC when it has
    no offset). A moment already past is refused: the entry would never match.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time(0), UTC)
    else:
        raw = value.strip()
        try:
            if len(raw) == 10:
                when = datetime.combine(date.fromisoformat(raw), time(0), UTC)
            else:
                when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"--until {raw!r} is not a date; use YYYY-MM-DD (e.g. 2027-03-01)"
            ) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when <= now:
        raise InputError(
            f"--until {_day(when)} is already past; the entry would never match "
            "(give a later date, or none to watch until removed)"
        )
    return when


def _day(when: datetime) -> str:
    if when.time() == time(0):
        return when.date().isoformat()
    return when.isoformat()


class WatchList:
    """The watch list of one workspace (``config.workspace``) over a :class:`~bot.store.Store`."""

    def __init__(
        self,
        store: Store,
        *,
        config: Config | None = None,
        clock: Callable[[], datetime] | None = None,
        is_approver: Callable[[Actor], bool] | None = None,
    ) -> None:
        self.store = store
        self.config = config or Config()
        self.workspace = self.config.workspace
        self._now = clock or (lambda: datetime.now(UTC))
        self._is_approver = is_approver or self.is_configured_approver

    def is_configured_approver(self, actor: Actor) -> bool:
        """True when the config (or ``CANIPOST_APPROVERS``) lists ``actor`` as an approver."""
        approvers = self.config.approvers
        return actor.id in approvers.ids_for(actor.platform) or actor.id in approvers.backup

    def is_approver(self, actor: Actor) -> bool:
        """May ``actor`` see and change the list? (Uses the platform's hook when given.)"""
        return self._is_approver(actor)

    # ------------------------------------------------------------------ changes

    def add(
        self,
        term: str,
        *,
        kind: str,
        by: Actor,
        aliases: Iterable[str] = (),
        severity: str | None = None,
        until: str | date | datetime | None = None,
        note: str | None = None,
    ) -> WatchEntry:
        """Add an entry; it takes effect on every worker within a second.

        Raises :class:`WatchRefused` (not an approver), :class:`DuplicateEntry`
        (term or alias already listed; nothing changed) or :class:`InputError`.
        """
        now = self._now()
        kind_name = (kind or "").strip().lower()
        if not self.is_approver(by):
            self._refuse("watch_add", None, by, now, {"kind": kind_name})
        clean = validate_term(term)
        parsed_kind = parse_kind(kind)
        sev = parse_severity(severity)
        when = parse_until(until, now=now)
        alias_list = self._aliases(clean, aliases)
        note_text = (note or "").strip()
        if note_text and len(note_text) > MAX_NOTE:
            raise InputError(f"the note is {len(note_text)} characters; the limit is {MAX_NOTE}")
        wanted = {k: t for t in (clean, *alias_list) for k in canonical_keys(t)}
        with self.store.write() as s:
            self._lock(s)
            clash = self._duplicate(s, now, wanted)
            if clash is None:
                row = m.WatchEntryRow(
                    id=new_entry_id(),
                    workspace=self.workspace,
                    term=clean,
                    kind=parsed_kind.name,
                    aliases=alias_list,
                    severity=sev.label if sev is not None else None,
                    until=when,
                    note=note_text or None,
                    added_by=by.id,
                    added_by_platform=by.platform,
                    added_by_name=by.name,
                    added_at=now,
                )
                s.add(row)
                detail: dict[str, Any] = {"kind": parsed_kind.name}
                if sev is not None:
                    detail["severity"] = sev.label
                if when is not None:
                    detail["until"] = when.isoformat()
                self._audit(s, now, "watch_add", row.id, by, "ok", None, detail)
                entry = _view(row)
        if clash is not None:
            holder, mine = clash
            with self.store.write() as s:
                reason = "duplicate"
                self._audit(s, now, "watch_add", holder.id, by, "refused", reason, None)
            raise DuplicateEntry(
                f"{mine!r} is already on the watch list as {holder.id} "
                f"({holder.kind}: {holder.term!r}); nothing changed",
                holder,
            )
        live.invalidate()
        return entry

    def remove(self, entry_id: str, *, by: Actor) -> WatchEntry:
        """Take an entry off the list (kept, marked removed); it stops matching within a second."""
        now = self._now()
        eid = normalise_entry_id(entry_id)
        if not self.is_approver(by):
            self._refuse("watch_remove", eid[:24] or None, by, now, None)
        with self.store.write() as s:
            row = self._row(s, eid, entry_id)
            if row.removed_at is not None:
                when = row.removed_at.strftime("%Y-%m-%d %H:%M UTC")
                raise InputError(f"{row.id} was already removed by {row.removed_by} at {when}")
            row.removed_at = now
            row.removed_by = by.id
            self._audit(s, now, "watch_remove", row.id, by, "ok", None, {"kind": row.kind})
            entry = _view(row)
        live.invalidate()
        return entry

    # ------------------------------------------------------------------ reading

    def entries(
        self, *, include_all: bool = False, viewer: Actor | None = None
    ) -> list[WatchEntry]:
        """Active entries, newest first; ``include_all`` adds expired and removed ones.

        ``viewer``: the person asking on a chat surface or the dashboard; anyone but
        an approver is refused (the CLI, run by whoever holds the database, passes None).
        """
        self._check_viewer(viewer)
        now = self._now()
        with self.store.read() as s:
            q = select(m.WatchEntryRow).where(m.WatchEntryRow.workspace == self.workspace)
            rows = list(s.scalars(q.order_by(m.WatchEntryRow.added_at.desc())))
            views = [_view(r) for r in rows]
        return views if include_all else [e for e in views if e.is_active(now)]

    def get(self, entry_id: str, *, viewer: Actor | None = None) -> WatchEntry:
        """One entry by id (any status), with its note: for approvers only."""
        self._check_viewer(viewer)
        with self.store.read() as s:
            return _view(self._row(s, normalise_entry_id(entry_id), entry_id))

    def history(self, entry_id: str) -> list[AuditRecord]:
        """The audit trail of one entry, oldest first."""
        eid = normalise_entry_id(entry_id)
        with self.store.read() as s:
            q = (
                select(m.AuditEntry)
                .where(m.AuditEntry.submission_id == eid)
                .where(m.AuditEntry.action.in_(("watch_add", "watch_remove")))
                .order_by(m.AuditEntry.id)
            )
            return [audit_record(r) for r in s.scalars(q)]

    # ------------------------------------------------------------------ helpers

    def _aliases(self, term: str, aliases: Iterable[str]) -> list[str]:
        out: list[str] = []
        seen = set(canonical_keys(term))
        for raw in aliases:
            alias = validate_term(raw, what="alias")
            keys = canonical_keys(alias)
            if keys & seen:
                continue  # repeats the term or another alias
            seen |= keys
            out.append(alias)
        if len(out) > MAX_ALIASES:
            raise InputError(f"{len(out)} aliases given; the limit is {MAX_ALIASES}")
        return out

    def _check_viewer(self, viewer: Actor | None) -> None:
        if viewer is not None and not self.is_approver(viewer):
            raise WatchRefused("the watch list is confidential: only approvers can see it")

    def _duplicate(
        self, s: Session, now: datetime, wanted: dict[str, str]
    ) -> tuple[WatchEntry, str] | None:
        """The active entry already holding one of ``wanted``'s keys, and the clashing text."""
        q = select(m.WatchEntryRow).where(
            m.WatchEntryRow.workspace == self.workspace, m.WatchEntryRow.removed_at.is_(None)
        )
        for row in s.scalars(q):
            if row.until is not None and row.until <= now:
                continue
            holder = _view(row)
            for t in (holder.term, *holder.aliases):
                clash = canonical_keys(t) & wanted.keys()
                if clash:
                    return holder, wanted[min(clash)]
        return None

    def _row(self, s: Session, eid: str, typed: str) -> m.WatchEntryRow:
        row = s.get(m.WatchEntryRow, eid)
        if row is None or row.workspace != self.workspace:
            shown = typed.strip() or eid
            raise UnknownEntry(f"no watch entry {shown!r}; see `canipost watch list --all`")
        return row

    def _lock(self, s: Session) -> None:
        """Serialise adds per workspace, so two at once cannot both pass the duplicate check.

        SQLite already holds the write lock (``BEGIN IMMEDIATE``).
        """
        if s.get_bind().dialect.name == "postgresql":
            s.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('canipost.watch:' || :ws))"),
                {"ws": self.workspace},
            )

    def _refuse(
        self,
        action: str,
        eid: str | None,
        by: Actor,
        now: datetime,
        detail: dict[str, Any] | None,
    ) -> None:
        with self.store.write() as s:
            self._audit(s, now, action, eid, by, "refused", "not_an_approver", detail)
        verb = "add to" if action == "watch_add" else "remove from"
        raise WatchRefused(f"{by.id} is not an approver: only approvers can {verb} the watch list")

    def _audit(
        self,
        s: Session,
        now: datetime,
        action: str,
        eid: str | None,
        actor: Actor,
        outcome: str,
        reason: str | None,
        detail: dict[str, Any] | None,
    ) -> None:
        data = dict(detail or {})
        if self.workspace:
            data["workspace"] = self.workspace
        s.add(
            m.AuditEntry(
                at=now,
                submission_id=eid,
                action=action,
                outcome=outcome,
                reason=reason,
                actor_platform=actor.platform,
                actor_id=actor.id,
                actor_name=actor.name,
                detail=data or None,
            )
        )


def _view(row: m.WatchEntryRow) -> WatchEntry:
    return WatchEntry(
        id=row.id,
        term=row.term,
        kind=row.kind,
        aliases=tuple(row.aliases or ()),
        severity=Severity.parse(row.severity) if row.severity else None,
        until=row.until,
        note=row.note,
        added_by=row.added_by,
        added_by_platform=row.added_by_platform,
        added_at=row.added_at,
        removed_at=row.removed_at,
        removed_by=row.removed_by,
        workspace=row.workspace,
    )
