"""Initial schema: submissions, decisions, append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types: migrations must not change when models do.
TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("author_platform", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(128), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=True),
        sa.Column("verdict", JSONT, nullable=False),
        sa.Column("review_decision", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("predecessor_id", sa.String(24), nullable=True),
        sa.Column("approvals_needed", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("first_approved_by", sa.String(128), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_by_platform", sa.String(16), nullable=True),
        sa.Column("decided_by_name", sa.String(200), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("message_refs", JSONT, nullable=False),
        sa.CheckConstraint(
            "state IN ('pending','approved','changes_requested','rejected','withdrawn','expired')",
            name="ck_submissions_state",
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["submissions.id"],
            name="fk_submissions_predecessor_id_submissions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
    )
    op.create_index("ix_submissions_author_id", "submissions", ["author_id"])
    op.create_index("ix_submissions_state_created_at", "submissions", ["state", "created_at"])

    op.create_table(
        "decisions",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("approver_platform", sa.String(16), nullable=False),
        sa.Column("approver_id", sa.String(128), nullable=False),
        sa.Column("approver_name", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_decisions_submission_id_submissions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_submission_id", "decisions", ["submission_id"])
    op.create_index(
        "uq_decisions_one_final",
        "decisions",
        ["submission_id"],
        unique=True,
        sqlite_where=sa.text("final"),
        postgresql_where=sa.text("final"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=True),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("actor_platform", sa.String(16), nullable=True),
        sa.Column("actor_id", sa.String(128), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=True),
        sa.Column("detail", JSONT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_submission_id", "audit_log", ["submission_id"])

    # Append-only, enforced by the database itself.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION canipost_audit_log_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION canipost_audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION canipost_audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS canipost_audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("audit_log")
    op.drop_table("decisions")
    op.drop_table("submissions")
