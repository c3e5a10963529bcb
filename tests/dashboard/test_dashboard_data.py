"""What the charts, watch list and feedback pages compute, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from harness import Client, sign_in

from bot.config import Config
from bot.dashboard import queries, record_verdict
from bot.dashboard.extras import false_alarms_by_rule
from bot.dashboard.stats import record_check
from bot.store import Store
from bot.store import models as m
from bot.verdict import Verdict
from bot.workflow import Actor, Workflow

TODAY = date(2026, 11, 26)  # a Thursday; its week starts on Monday 23 November


def test_checks_are_counted_without_text_and_rolled_up(store: Store) -> None:
    record_check(store, decision="ok", rules=[], platform="slack", day=TODAY)
    record_check(
        store,
        decision="needs_approval",
        rules=[
            ("legal.sub_judice", "legal"),
            ("legal.sub_judice", "legal"),
            ("strategy.shouting", "strategy"),
        ],
        platform="teams",
        day=TODAY,
    )
    record_check(
        store,
        decision="advise",
        rules=[("strategy.shouting", "strategy")],
        platform="cli",
        day=TODAY,
    )
    with store.read() as s:
        rows = s.query(m.CheckStat).order_by(m.CheckStat.id).all()
        days = {r.rule: r.hits for r in s.query(m.CheckRuleDay)}
    assert [(r.decision, r.platform, r.categories, r.rules) for r in rows] == [
        ("ok", "slack", [], []),
        (
            "needs_approval",
            "teams",
            ["legal", "strategy"],
            ["legal.sub_judice", "strategy.shouting"],
        ),
        ("advise", "cli", ["strategy"], ["strategy.shouting"]),
    ]
    assert days == {"legal.sub_judice": 2, "strategy.shouting": 2}
    with pytest.raises(ValueError):
        record_check(store, decision="maybe", rules=[], platform="slack")
    with pytest.raises(ValueError):
        record_check(store, decision="ok", rules=[], platform="fax")


def test_record_verdict_never_raises(store: Store) -> None:
    verdict = Verdict([], "p")
    assert record_verdict(store, verdict, platform="slack") is True
    assert record_verdict(store, verdict, platform="fax") is False  # logged, not raised


def test_charts_aggregate_in_sql(store: Store) -> None:
    for back, decision in ((0, "ok"), (0, "ok"), (1, "do_not_post"), (29, "advise"), (30, "ok")):
        rules = [] if decision == "ok" else [("conflict.insult", "conflict")]
        record_check(
            store,
            decision=decision,
            rules=rules,
            platform="slack",
            day=TODAY - timedelta(days=back),
        )
    record_check(store, decision="ok", rules=[], platform="slack", day=TODAY, workspace="T-OTHER")
    data = queries.charts(
        store, today=TODAY, days=30, weeks=12, false_alarms={"conflict.insult": 3}
    )
    assert data.days[-1] == "2026-11-26" and len(data.days) == 30
    assert data.checks_by_decision["ok"][-1] == 2  # the other workspace is not counted
    assert data.checks_by_decision["do_not_post"][-2] == 1
    assert data.checks_by_decision["advise"][0] == 1  # 29 days back is the first day
    assert data.total_checks == 4  # 30 days back is outside the window
    assert data.weeks[-1] == "2026-11-23"
    assert data.findings_by_category["conflict"][-1] == 1  # Tuesday 24th
    assert data.top_rules == [
        {"rule": "conflict.insult", "category": "conflict", "hits": 2, "false_alarms": 3}
    ]


def test_time_to_decision_median_and_p90_per_week(store: Store, config: Config) -> None:
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for i, hours in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):
        created = monday + timedelta(hours=i)
        wf = Workflow(store, config=config, clock=lambda c=created: c)
        sub = wf.submit(text=f"Draft {i}", verdict=Verdict([], "p"), author=Actor("cli", "alice"))
        Workflow(
            store, config=config, clock=lambda c=created, h=hours: c + timedelta(hours=h)
        ).decide(sub.id, "approve", by=Actor("cli", "bob"))
    # Withdrawn drafts are not decisions.
    wf = Workflow(store, config=config, clock=lambda: monday)
    sub = wf.submit(text="gone", verdict=Verdict([], "p"), author=Actor("cli", "alice"))
    Workflow(store, config=config, clock=lambda: monday + timedelta(days=2)).withdraw(
        sub.id, by=Actor("cli", "alice")
    )
    data = queries.charts(store, today=TODAY, weeks=2)
    last = data.decision_weeks[-1]
    assert last["week"] == "2026-11-23" and last["decisions"] == 10
    assert last["median_hours"] == pytest.approx(5.0) and last["p90_hours"] == pytest.approx(9.0)
    assert (
        data.decision_weeks[0]["decisions"] == 0 and data.decision_weeks[0]["median_hours"] is None
    )


PRAISE = "Kevin is an idiot at darts, love him really"  # the rules ask for approval (insult)


def test_false_alarms_and_pending_feedback_confirmed_from_the_web(
    client: Client, store: Store, config: Config
) -> None:
    from bot.feedback import add_feedback, list_feedback

    # Two staff reports that the rules over-flagged, one that they missed something.
    first = add_feedback(
        store,
        config,
        text=PRAISE,
        expected="ok",
        by="USTAFF",
        platform="slack",
        note="Banter between friends",
    )
    second = add_feedback(store, config, text=PRAISE, expected="ok", by="USTAFF2", platform="slack")
    missed = add_feedback(
        store,
        config,
        text="Lovely day at the seaside",
        expected="do_not_post",
        by="USTAFF",
        platform="slack",
    )
    assert first.kind == "false_alarm" and missed.kind == "missed" and first.status == "pending"
    rule = first.rules_fired[0]
    assert false_alarms_by_rule(store, config) == {}  # nothing confirmed yet

    sign_in(client, store, config, "bob")
    page = client.get("/dashboard/feedback")
    assert (
        page.status == 200
        and "Banter between friends" in page.text
        and "USTAFF (slack)" in page.text
    )
    assert "idiot at darts" in page.text  # approvers judge the (redacted) draft itself
    for fid, action in ((first.id, "confirm"), (second.id, "confirm"), (missed.id, "dismiss")):
        done = client.post(
            "/dashboard/feedback", {"csrf": page.csrf(), "id": fid, "action": action}
        )
        assert done.status == 200 and f"report {fid}" in done.text
    again = client.post(
        "/dashboard/feedback", {"csrf": page.csrf(), "id": first.id, "action": "dismiss"}
    )
    assert again.status == 400 and "already confirmed (by bob at" in again.text
    assert client.post("/dashboard/feedback", {"id": first.id, "action": "confirm"}).status == 403
    assert list_feedback(store, config, pending=True) == []
    assert false_alarms_by_rule(store, config) == {r: 2 for r in first.rules_fired}

    record_check(
        store, decision="needs_approval", rules=[(rule, rule.split(".")[0])], platform="slack"
    )
    charts = client.get("/dashboard/charts")
    assert f"{rule} " in charts.text and " 1 2 " in charts.text  # one finding, two false alarms


def test_watch_list_page_for_approvers(client: Client, store: Store, config: Config) -> None:
    from bot.watch.service import WatchList

    WatchList(store, config=config).add(
        "Operation Nightjar", kind="codename", by=Actor("cli", "bob"), note="launch in May"
    )
    sign_in(client, store, config, "bob")
    page = client.get("/dashboard/watch")
    assert page.status == 200 and "Operation Nightjar" in page.text and "launch in May" in page.text
    assert "codename" in page.text


def test_record_verdict_opens_database_url_when_given_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's case: ``canipost check`` with DATABASE_URL set counts the check there."""
    from bot.store import open_store

    url = f"sqlite:///{tmp_path / 'cli-checks.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert record_verdict(None, Verdict([], "p"), platform="cli") is True
    store = open_store(url)
    with store.read() as s:
        assert [r.platform for r in s.query(m.CheckStat)] == ["cli"]
    store.dispose()


def test_watch_list_add_and_remove_from_the_web(
    client: Client, store: Store, config: Config
) -> None:
    from bot.watch.service import WatchList

    page = sign_in(client, store, config, "bob")
    page = client.get("/dashboard/watch")
    added = client.post(
        "/dashboard/watch",
        {
            "csrf": page.csrf(),
            "action": "add",
            "term": "Project Kestrel",
            "kind": "codename",
            "aliases": "Kestrel plan",
            "note": "merger, embargoed",
            "until": "2099-01-31",
        },
    )
    assert added.status == 200 and "Added 'Project Kestrel'" in added.text
    entries = WatchList(store, config=config).entries()
    assert [(e.term, e.aliases, e.added_by_platform) for e in entries] == [
        ("Project Kestrel", ("Kestrel plan",), "web")
    ]
    dup = client.post(
        "/dashboard/watch",
        {"csrf": page.csrf(), "action": "add", "term": "project kestrel", "kind": "codename"},
    )
    assert dup.status == 400 and 'value="project kestrel"' in dup.body  # the form keeps input
    assert client.post("/dashboard/watch", {"action": "remove", "id": entries[0].id}).status == 403
    gone = client.post(
        "/dashboard/watch", {"csrf": page.csrf(), "action": "remove", "id": entries[0].id}
    )
    assert "Removed 'Project Kestrel'" in gone.text
    assert WatchList(store, config=config).entries() == []


def test_each_workspace_sees_only_its_own_queue_history_and_charts(
    client: Client, store: Store, config: Config
) -> None:
    from dataclasses import replace

    other = replace(config, workspace="T-OTHER")
    theirs = Workflow(store, config=other)
    pending = theirs.submit(
        text="Their pending draft", verdict=Verdict([], "p"), author=Actor("cli", "alice")
    )
    closed = theirs.submit(
        text="Their closed draft", verdict=Verdict([], "p"), author=Actor("cli", "alice")
    )
    theirs.decide(closed.id, "approve", by=Actor("cli", "bob"))
    ours = Workflow(store, config=config).submit(
        text="Our draft", verdict=Verdict([], "p"), author=Actor("cli", "alice")
    )
    f = queries.QueueFilters(workspace="T-OTHER")
    from bot.workflow import WorkflowSettings

    assert [r.id for r in queries.queue(store, f, WorkflowSettings()).rows] == [pending.id]
    sign_in(client, store, config, "bob")
    queue = client.get("/dashboard/queue").text
    assert ours.id in queue and pending.id not in queue
    assert closed.id not in client.get("/dashboard/decisions").text
    assert closed.id not in client.get("/dashboard/decisions.csv").body
    assert sum(w["decisions"] for w in queries.charts(store).decision_weeks) == 0
    assert (
        sum(w["decisions"] for w in queries.charts(store, workspace="T-OTHER").decision_weeks) == 1
    )


def test_history_count_label_is_exact_up_to_the_cap() -> None:
    assert queries.Page(rows=[], total=1234, page=1, pages=25).total_label == "1,234"
    over = queries.Page(rows=[], total=queries.HISTORY_COUNT_CAP + 1, page=1, pages=200)
    assert over.total_label == "10,000+"


def test_a_link_signs_in_with_the_platform_that_lists_the_approver(
    store: Store, config: Config
) -> None:
    from bot.dashboard import auth

    for user, identity in (("UBOSS", "slack"), ("bob", "cli"), ("carol", "cli")):
        _, who = auth.redeem_link(store, config, auth.create_link(store, config, user))
        assert (who.id, who.identity, who.is_approver) == (user, identity, True)
