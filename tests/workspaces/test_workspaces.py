"""Per-workspace settings: validation, storage, the resolved Config, and no data crossing.

Two workspaces share one database (a fresh SQLite file and a fresh PostgreSQL
database): each gets its own profile and allow-lists, queue, audit trail,
watch list and feedback, and neither can see or act on the other's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config import Approvers, Config, Organisation
from bot.feedback import service as feedback
from bot.review import review
from bot.store import Store, open_store
from bot.store import models as m
from bot.verdict import Draft
from bot.watch.service import WatchList
from bot.workflow import Actor, MemoryNotifier, UnknownSubmission, Workflow
from bot.workspaces import (
    SettingsError,
    WorkspaceSettings,
    apply_settings,
    change_settings,
    config_for,
    describe,
    load_settings,
    may_administer,
    parse_settings_text,
    update_settings,
    workspace_for,
)
from bot.workspaces.resolve import WorkspaceResolver

ADMIN_A = Actor("slack", "UADMINA")
ADMIN_B = Actor("slack", "UADMINB")


@pytest.fixture
def store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("DATABASE_URL", db_url)  # the review's live watch list reads it
    st = open_store(db_url)
    yield st
    st.dispose()


@pytest.fixture
def base() -> Config:
    return Config(
        organisation=Organisation(name="File Org", domains=["fileorg.example"]),
        approvers=Approvers(slack=["UFILE"], backup=["UBACKUP"]),
    )


# ---------------------------------------------------------------------- validation


def test_settings_text_is_parsed_into_canonical_keys() -> None:
    got = parse_settings_text(
        "channel <#C0123ABCD|comms>; approvers <@U1AAAAAA> <@U2BBBBBB>\nprofile: NHS\n"
        "domains = nhs-trust.example, @trust.example; name Riverside NHS Trust"
    )
    assert got == {
        "approvers_channel": "<#C0123ABCD|comms>",
        "approvers": "<@U1AAAAAA> <@U2BBBBBB>",
        "profile": "NHS",
        "domains": "nhs-trust.example, @trust.example",
        "organisation_name": "Riverside NHS Trust",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"profile": "hospital"}, "unknown profile 'hospital'"),
        ({"colour": "blue"}, "unknown setting 'colour'"),
        ({"domains": "not a domain!"}, "is not a domain name"),
        ({"approvers_channel": "general"}, "is not a channel"),
        ({"approver_group": "comms"}, "is not a Slack user group"),
        ({"overrides": "strategy.shouting=loud"}, "must be one of"),
        ({"phones": "call me"}, "is not a phone number"),
        ({"approvers": ",".join(f"U{i:08d}" for i in range(61))}, "at most 60"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(
    store: Store, base: Config, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        update_settings(store, "T1", changes, by=ADMIN_A, base_config=base)
    assert load_settings(store, "T1").version == 0
    with store.read() as s:
        assert s.scalars(select(m.AuditEntry)).all() == []


def test_an_override_naming_an_unknown_rule_is_refused_before_storing(
    store: Store, base: Config
) -> None:
    with pytest.raises(SettingsError, match=r"no\.such_rule"):
        update_settings(
            store, "T1", {"overrides": "no.such_rule=off"}, by=ADMIN_A, base_config=base
        )
    assert load_settings(store, "T1").version == 0


# ---------------------------------------------------------------------- storage and resolution


def test_settings_are_stored_versioned_and_audited_in_their_workspace(
    store: Store, base: Config
) -> None:
    first = update_settings(
        store,
        "T1",
        {"channel": "<#C0123ABCD|comms>", "approvers": "<@U1AAAAAA>", "profile": "charity"},
        by=ADMIN_A,
        base_config=base,
    )
    assert first.version == 1
    assert first.approvers_channel() == "C0123ABCD"
    cfg = first.config
    assert (cfg.workspace, cfg.profile) == ("T1", "charity")
    # The workspace's approvers replace the file's (their ids mean nothing here); backup stays.
    assert cfg.approvers.ids_for("slack") == {"U1AAAAAA"}
    assert cfg.approvers.backup == ["UBACKUP"]
    assert cfg.organisation.name == "File Org"  # not set: the file's
    second = update_settings(store, "T1", {"name": "Helping Hands"}, by=ADMIN_A, base_config=base)
    assert second.version == 2
    assert second.config.organisation.name == "Helping Hands"
    assert second.config.profile == "charity"  # earlier changes kept
    assert base.workspace == "" and base.profile == "council"  # the file's config untouched
    with store.read() as s:
        rows = s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id)).all()
    assert [(r.action, r.workspace, r.actor_id) for r in rows] == [
        ("settings", "T1", "UADMINA"),
        ("settings", "T1", "UADMINA"),
    ]
    assert rows[0].detail == {"changed": ["approvers", "approvers_channel", "profile"]}
    assert rows[1].detail == {"changed": ["organisation_name"]}


def test_a_workspace_with_nothing_set_runs_on_the_config_file(store: Store, base: Config) -> None:
    assert config_for("", store, base) is base
    other = config_for("T9", store, base)
    assert other.workspace == "T9"
    assert other.approvers.ids_for("slack") == {"UFILE"}
    assert other.profile == base.profile


def test_config_for_is_cached_and_sees_another_workers_change(store: Store, base: Config) -> None:
    mine = WorkspaceResolver(refresh_seconds=0.0)  # this worker checks the version every call
    theirs = WorkspaceResolver()
    before = mine.resolve("T1", store, base).config
    assert mine.resolve("T1", store, base).config is before  # unchanged: the same object
    # Another worker changes the settings (its own resolver, same database).
    from bot.workspaces.settings import save_settings

    save_settings(store, "T1", {"profile": "business"}, by=ADMIN_A)
    theirs.invalidate()
    after = mine.resolve("T1", store, base).config
    assert after is not before and after.profile == "business"
    assert theirs.resolve("T1", store, base).config.profile == "business"


def test_apply_settings_lays_organisation_details_over_the_file() -> None:
    base = Config(organisation=Organisation(name="A", domains=["a.example"], phones=["0300 1"]))
    s = WorkspaceSettings(domains=("b.example",), overrides={"strategy.shouting": "off"})
    cfg = apply_settings(base, s, "T2")
    assert cfg.organisation.domains == ["b.example"]
    assert cfg.organisation.phones == ["0300 1"]
    assert cfg.overrides == {"strategy.shouting": "off"}
    assert base.overrides == {}


# ---------------------------------------------------------------------- admin


def test_admin_is_told_to_invite_the_bot_to_a_channel_it_is_not_in(
    store: Store, base: Config
) -> None:
    member_of = {"C0GOODONE"}
    out = change_settings(
        store,
        "T1",
        parse_settings_text("channel <#C0NOTMEMB>"),
        by=ADMIN_A,
        base_config=base,
        bot_in_channel=lambda c: c in member_of,
    )
    assert out.resolved.approvers_channel() == "C0NOTMEMB"
    assert len(out.notices) == 1 and "/invite @canipost" in out.notices[0]
    assert "<#C0NOTMEMB>" in out.notices[0]
    ok = change_settings(
        store,
        "T1",
        {"channel": "C0GOODONE"},
        by=ADMIN_A,
        base_config=base,
        bot_in_channel=lambda c: c in member_of,
    )
    assert ok.notices == ()
    rows = dict(describe(ok.resolved))
    assert rows["Approvers' channel"] == "C0GOODONE"


def test_only_admins_and_the_workspaces_approvers_may_change_settings(
    store: Store, base: Config
) -> None:
    resolved = update_settings(store, "T1", {"approvers": "U1AAAAAA"}, by=ADMIN_A, base_config=base)
    assert may_administer(Actor("slack", "UANYONE"), resolved, platform_admin=True)
    assert may_administer(Actor("slack", "U1AAAAAA"), resolved, platform_admin=False)
    assert not may_administer(Actor("slack", "UANYONE"), resolved, platform_admin=False)
    # The file's approver is not this workspace's approver.
    assert not may_administer(Actor("slack", "UFILE"), resolved, platform_admin=False)


# ---------------------------------------------------------------------- no data crosses


def _two_workspaces(store: Store, base: Config) -> tuple[Config, Config]:
    update_settings(
        store,
        "TAAAA",
        {"approvers": "UAPPA", "domains": "alpha.example", "phones": "07700 900123"},
        by=ADMIN_A,
        base_config=base,
    )
    update_settings(store, "TBBBB", {"approvers": "UAPPB"}, by=ADMIN_B, base_config=base)
    return config_for("TAAAA", store, base), config_for("TBBBB", store, base)


def test_each_workspace_reviews_with_its_own_allow_lists(store: Store, base: Config) -> None:
    a, b = _two_workspaces(store, base)
    draft = "Press office: 07700 900123, press@alpha.example"
    va = review(Draft(draft), config=a, use_llm=False)
    vb = review(Draft(draft), config=b, use_llm=False)
    assert not [f for f in va.findings if f.category == "confidentiality"]
    assert [f for f in vb.findings if f.category == "confidentiality"]


def test_queue_and_audit_trail_do_not_cross(store: Store, base: Config) -> None:
    a, b = _two_workspaces(store, base)
    wf_a = Workflow(store, config=a, notifier=MemoryNotifier())
    wf_b = Workflow(store, config=b, notifier=MemoryNotifier())
    verdict = review(Draft("Vote Conservative on 2 May!"), config=a, use_llm=False)
    sub = wf_a.submit(
        text="Vote Conservative on 2 May!", verdict=verdict, author=Actor("slack", "U1")
    )
    assert [s.id for s in wf_a.submissions()] == [sub.id]
    assert wf_b.submissions() == []
    with pytest.raises(UnknownSubmission):
        wf_b.get(sub.id)
    # B's approver cannot decide A's draft, even knowing its id; the attempt is in B's trail.
    with pytest.raises(UnknownSubmission):
        wf_b.decide(sub.id, "approve", by=Actor("slack", "UAPPB"))
    assert wf_a.get(sub.id).state == "pending"
    assert [x.action for x in wf_a.audit_trail(sub.id)] == ["submit"]
    assert [(x.action, x.outcome) for x in wf_b.audit_trail(sub.id)] == [("decide", "refused")]
    done = wf_a.decide(sub.id, "approve", by=Actor("slack", "UAPPA"))
    assert done.state == "approved"
    with store.read() as s:
        ws = {r.workspace for r in s.scalars(select(m.Submission))}
    assert ws == {"TAAAA"}


def test_watch_list_does_not_cross(store: Store, base: Config) -> None:
    a, b = _two_workspaces(store, base)
    WatchList(store, config=a).add("Project Nightjar", kind="codename", by=Actor("slack", "UAPPA"))
    assert [e.term for e in WatchList(store, config=a).entries()] == ["Project Nightjar"]
    assert WatchList(store, config=b).entries() == []
    draft = "Excited to share news about Project Nightjar today"
    hits_a = [f.rule for f in review(Draft(draft), config=a, use_llm=False).findings]
    hits_b = [f.rule for f in review(Draft(draft), config=b, use_llm=False).findings]
    assert "watch.codename" in hits_a
    assert not [r for r in hits_b if r.startswith("watch.")]


def test_feedback_does_not_cross(store: Store, base: Config) -> None:
    a, b = _two_workspaces(store, base)
    item = feedback.add_feedback(
        store, a, text="Lovely day at the park", expected="ok", by="UAPPA", platform="slack"
    )
    assert [f.id for f in feedback.list_feedback(store, a)] == [item.id]
    assert feedback.list_feedback(store, b) == []
    assert feedback.training_feedback(store, b) == []


def test_workspace_for_gives_the_channel_and_group(store: Store, base: Config) -> None:
    update_settings(
        store,
        "T1",
        {"channel": "19:abcDEF_123@thread.tacv2", "approver_group": "<!subteam^S0GROUPID|comms>"},
        by=Actor("teams", "29:admin"),
        base_config=base,
    )
    r = workspace_for("T1", store, base)
    assert r.approvers_channel("CDEFAULT") == "19:abcDEF_123@thread.tacv2"
    assert r.approver_group == "S0GROUPID"
    assert workspace_for("T2", store, base).approvers_channel("CDEFAULT") == "CDEFAULT"
