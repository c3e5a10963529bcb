"""Migrations: from empty, from the previous revision with data in it, concurrently.

Also checks that the ORM models match what the migrations build, so an
edited model without a migration fails here rather than in production.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from bot.store import current_revision, downgrade, head_revision, open_store, upgrade
from bot.store.engine import make_engine
from bot.store.models import Base
from bot.store.url import resolve_url
from bot.verdict import Verdict
from bot.workflow import Actor, MemoryNotifier, Workflow

TABLES = {"submissions", "decisions", "audit_log", "idempotency_keys", "notifications"}


def test_upgrade_from_empty_builds_every_table(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision() == "0008"
    assert set(inspect(engine).get_table_names()) >= TABLES
    # Second call is a no-op.
    assert upgrade(engine) == head_revision()
    engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    store = open_store(db_url)
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    store.dispose()
    assert diffs == []


def test_upgrade_from_0001_keeps_existing_rows(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    created = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    verdict = {"decision": "needs_approval", "findings": [], "policy_version": "p1"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO submissions (id, text, channel, author_platform, author_id, "
                "verdict, review_decision, policy_version, state, created_at, updated_at, "
                "message_refs) VALUES (:id, :text, 'twitter', 'slack', 'U1', :v, "
                "'needs_approval', 'p1', :state, :at, :at, :refs)"
            ).bindparams(
                text="Old draft from before 0002",
                at=created if engine.dialect.name == "postgresql" else created.replace(tzinfo=None),
            ),
            [
                {"id": "S-AAAAAAAAA1", "state": "pending", "v": _json(verdict), "refs": "{}"},
                {"id": "S-AAAAAAAAA2", "state": "approved", "v": _json(verdict), "refs": "{}"},
            ],
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, submission_id, action, outcome, actor_platform, "
                "actor_id) VALUES (:at, 'S-AAAAAAAAA1', 'submit', 'ok', 'slack', 'U1')"
            ),
            {
                "at": created
                if engine.dialect.name == "postgresql"
                else created.replace(tzinfo=None)
            },
        )
    assert upgrade(engine) == head_revision()
    engine.dispose()

    store = open_store(db_url)
    wf = Workflow(store, notifier=MemoryNotifier())
    old = wf.get("S-AAAAAAAAA1")
    assert old.text == "Old draft from before 0002"
    assert old.created_at == created
    assert old.reminded_at is None and old.purged_at is None
    assert wf.get("S-AAAAAAAAA2").state == "approved"
    assert [a.action for a in wf.audit_trail("S-AAAAAAAAA1")] == ["submit"]
    # The old pending row takes part in the new features: reminders and decisions.
    report = wf.tick(now=datetime(2026, 1, 5, 11, 0, tzinfo=UTC))
    assert "S-AAAAAAAAA1" in report.reminded
    wf.config.approvers.any = ["U2"]
    done = wf.decide("S-AAAAAAAAA1", "approve", by=Actor("slack", "U2"))
    assert done.state == "approved"
    store.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = make_engine(resolve_url(db_url))
    upgrade(engine)
    assert downgrade(engine, "0001") == "0001"
    assert "notifications" not in inspect(engine).get_table_names()
    assert downgrade(engine, "base") is None
    assert not TABLES & set(inspect(engine).get_table_names())
    assert upgrade(engine) == head_revision()
    engine.dispose()


def test_concurrent_upgrades_run_the_migration_once(db_url: str) -> None:
    errors: list[BaseException] = []
    results: list[str | None] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        engine = make_engine(resolve_url(db_url))
        try:
            barrier.wait()
            results.append(upgrade(engine))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [head_revision()] * 4


def test_audit_log_is_append_only(db_url: str) -> None:
    store = open_store(db_url)
    wf = Workflow(store)
    sub = wf.submit(text="A draft", verdict=Verdict([], "p"), author=Actor("cli", "alice"))
    for sql in (
        "UPDATE audit_log SET outcome = 'refused'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(sql))
    assert [a.outcome for a in wf.audit_trail(sub.id)] == ["ok"]
    store.dispose()


def test_sqlite_connection_settings(tmp_path: object) -> None:
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.dispose()


def _json(value: object) -> str:
    import json

    return json.dumps(value)
