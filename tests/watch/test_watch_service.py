"""The WatchList service on SQLite and PostgreSQL: who may change the list, audit, duplicates,
expiry, workspaces, and that a review flags an entry the moment it is added."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from watch_actors import BOB, MALLORY, SLACK_SAM

from bot.config import Approvers, Config
from bot.errors import InputError
from bot.review import review_rules
from bot.store import Store
from bot.store import models as m
from bot.verdict import Draft, Severity
from bot.watch import entries_for_findings, watch_hits, watch_spans
from bot.watch.service import DuplicateEntry, UnknownEntry, WatchList, WatchRefused


def audit_rows(store: Store) -> list[m.AuditEntry]:
    with store.read() as s:
        return list(s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id)))


def test_add_list_show_remove(watch: WatchList, store: Store) -> None:
    e = watch.add(
        "Project Lighthouse",
        kind="embargo",
        until="2099-03-01",
        aliases=["Lighthouse launch", "project-lighthouse"],  # the second repeats the term
        note="Board paper 12; ask Jo",
        by=BOB,
    )
    assert e.id.startswith("W-") and len(e.id) == 10
    assert e.aliases == ("Lighthouse launch",)
    assert e.until == datetime(2099, 3, 1, tzinfo=UTC)
    assert e.effective_severity is Severity.DO_NOT_POST and e.severity is None
    assert [x.id for x in watch.entries()] == [e.id]
    shown = watch.get(e.id.lower())
    assert shown.note == "Board paper 12; ask Jo" and shown.added_by == "bob"
    removed = watch.remove(e.id, by=BOB)
    assert removed.status() == "removed" and removed.removed_by == "bob"
    assert watch.entries() == []
    assert [x.status() for x in watch.entries(include_all=True)] == ["removed"]
    with pytest.raises(InputError, match="already removed by bob"):
        watch.remove(e.id, by=BOB)
    with pytest.raises(UnknownEntry, match="no watch entry 'W-NOPE'"):
        watch.get("W-NOPE")
    actions = [(a.action, a.outcome, a.submission_id) for a in audit_rows(store)]
    assert actions == [("watch_add", "ok", e.id), ("watch_remove", "ok", e.id)]
    assert [h.action for h in watch.history(e.id)] == ["watch_add", "watch_remove"]


def test_only_approvers_change_the_list_and_refusals_are_audited(
    watch: WatchList, store: Store
) -> None:
    with pytest.raises(WatchRefused, match="mallory is not an approver") as info:
        watch.add("Project Lighthouse", kind="embargo", by=MALLORY)
    assert info.value.exit_code == 3
    e = watch.add("Project Lighthouse", kind="embargo", by=SLACK_SAM)  # Slack approver
    with pytest.raises(WatchRefused):
        watch.remove(e.id, by=MALLORY)
    with pytest.raises(WatchRefused, match="confidential"):
        watch.entries(viewer=MALLORY)
    with pytest.raises(WatchRefused):
        watch.get(e.id, viewer=MALLORY)
    assert [x.id for x in watch.entries(viewer=SLACK_SAM)] == [e.id]
    rows = audit_rows(store)
    assert [(r.action, r.outcome, r.reason, r.actor_id) for r in rows] == [
        ("watch_add", "refused", "not_an_approver", "mallory"),
        ("watch_add", "ok", None, "U0SAM"),
        ("watch_remove", "refused", "not_an_approver", "mallory"),
    ]
    assert watch.entries()[0].removed_at is None


def test_audit_log_never_holds_the_term_or_note(watch: WatchList, store: Store) -> None:
    watch.add("Priya Patel", kind="injunction", note="Anonymity order 3/26", by=BOB)
    with pytest.raises(WatchRefused):
        watch.add("Priya Patel", kind="injunction", by=MALLORY)
    dump = repr([(r.detail, r.reason) for r in audit_rows(store)])
    assert "Patel" not in dump and "Anonymity" not in dump


def test_duplicates_change_nothing_and_name_the_holder(watch: WatchList, store: Store) -> None:
    e = watch.add("Project Lighthouse", kind="embargo", aliases=["Beacon plan"], by=BOB)
    for term, aliases in (
        ("project lighthouse", []),
        ("#LighthouseProject", []),
        ("Totally new", ["Beacon-Plan"]),
        ("beacon plan", []),
    ):
        with pytest.raises(DuplicateEntry, match=f"already on the watch list as {e.id}") as info:
            watch.add(term, kind="topic", aliases=aliases, by=BOB)
        assert info.value.entry.id == e.id
    assert len(watch.entries(include_all=True)) == 1
    refused = [r for r in audit_rows(store) if r.outcome == "refused"]
    assert {r.reason for r in refused} == {"duplicate"} and len(refused) == 4


def test_bad_input(watch: WatchList) -> None:
    cases = [
        ({"term": "", "kind": "topic"}, "empty"),
        ({"term": "bin", "kind": "topic"}, "common word"),
        ({"term": "ab", "kind": "topic"}, "too short"),
        ({"term": "Bin strike", "kind": "strike"}, "unknown kind"),
        ({"term": "Bin strike", "kind": "topic", "until": "2020-01-01"}, "already past"),
        ({"term": "Bin strike", "kind": "topic", "until": "next week"}, "not a date"),
        ({"term": "Bin strike", "kind": "topic", "severity": "ok"}, "unknown severity"),
        ({"term": "Bin strike", "kind": "topic", "aliases": ["the"]}, "alias 'the' is a common"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            watch.add(by=BOB, **kwargs)  # type: ignore[arg-type]
    assert watch.entries(include_all=True) == []


def test_expired_entries_leave_the_active_list_but_stay_in_all(
    store: Store, config: Config
) -> None:
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    clock = [t0]
    wl = WatchList(store, config=config, clock=lambda: clock[0])
    e = wl.add("Project Lighthouse", kind="embargo", until="2026-12-02", by=BOB)
    assert [x.id for x in wl.entries()] == [e.id]
    clock[0] = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert wl.entries() == []
    assert [x.status(clock[0]) for x in wl.entries(include_all=True)] == ["expired"]
    # Once expired, the term may be watched again.
    again = wl.add("Project Lighthouse", kind="embargo", until="2027-01-10", by=BOB)
    assert again.id != e.id


def test_workspaces_have_their_own_lists(store: Store) -> None:
    approvers = Approvers(cli=["bob"])
    one = WatchList(store, config=Config(approvers=approvers, workspace="T0ONE"))
    two = WatchList(store, config=Config(approvers=approvers, workspace="T0TWO"))
    e = one.add("Project Lighthouse", kind="embargo", by=BOB)
    assert two.entries() == []
    two.add("Project Lighthouse", kind="codename", by=BOB)  # not a duplicate there
    with pytest.raises(UnknownEntry):
        two.get(e.id)


def test_concurrent_adds_of_one_term_create_one_entry(store: Store, config: Config) -> None:
    results: list[str] = []
    barrier = threading.Barrier(4)

    def add(i: int) -> None:
        wl = WatchList(store, config=config)
        barrier.wait()
        try:
            wl.add("Project Lighthouse", kind="embargo", note=f"try {i}", by=BOB)
            results.append("added")
        except DuplicateEntry:
            results.append("duplicate")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["added", "duplicate", "duplicate", "duplicate"]
    assert len(WatchList(store, config=config).entries()) == 1


def _rule_findings(draft: Draft, config: Config) -> list[str]:
    """The rules' and watch list's findings (the learned layer may add advice of its own)."""
    return [f.rule for f in review_rules(draft, config=config).findings if f.source != "model"]


def test_a_review_flags_an_entry_as_soon_as_it_is_added(
    watch: WatchList, config: Config, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    draft = Draft("Can't wait to tell you all about #ProjectLighthouse next week!")
    assert _rule_findings(draft, config) == []
    e = watch.add("Project Lighthouse", kind="embargo", note="secret: board paper", by=BOB)
    verdict = review_rules(draft, config=config)
    (finding,) = [f for f in verdict.findings if f.rule.startswith("watch.")]
    assert verdict.decision is Severity.DO_NOT_POST
    assert finding.rule == "watch.embargo" and finding.category == "confidentiality"
    assert finding.policy_ref == "protocol#confidential-information"
    assert finding.quote == "ProjectLighthouse" and finding.source == "rules"
    assert "board paper" not in repr(verdict.to_dict())  # the note is for approvers only
    # Approver views find the entry (and its note) behind the finding.
    (hit,) = watch_hits(draft.text, config)
    assert hit.entry.id == e.id and hit.entry.note == "secret: board paper"
    assert watch_spans(draft.text, config) == [(finding.start, finding.end, "embargo")]
    index = verdict.findings.index(finding)
    assert entries_for_findings(draft.text, verdict.findings, config) == {index: hit.entry}
    watch.remove(e.id, by=BOB)
    assert _rule_findings(draft, config) == []


def test_entry_severity_overrides_the_kind_default(
    watch: WatchList, config: Config, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    watch.add("Bin strike", kind="topic", by=BOB)
    watch.add("Kingfisher", kind="codename", severity="advise", by=BOB)
    v = review_rules(Draft("Kingfisher update on the bin strike"), config=config)
    got = {(f.rule, f.severity.label, f.category) for f in v.findings if f.rule.startswith("w")}
    assert got == {
        ("watch.topic", "needs_approval", "representation"),
        ("watch.codename", "advise", "confidentiality"),
    }


def test_expired_entry_stops_matching(
    store: Store, config: Config, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    now = datetime.now(UTC)
    wl = WatchList(store, config=config)
    wl.add("Project Lighthouse", kind="embargo", until=now + timedelta(days=1), by=BOB)
    text = "Project Lighthouse launches"
    assert len(watch_hits(text, config)) == 1
    assert watch_hits(text, config, now=now + timedelta(days=1)) == []
