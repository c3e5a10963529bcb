"""Reminder/escalation/retention timestamps, notification outbox, idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_STAGES = ("reminded_at", "escalated_at", "redacted_at", "purged_at")


def upgrade() -> None:
    # Nullable columns: a plain ALTER TABLE ADD COLUMN on both backends, no table rebuild.
    for name in _STAGES:
        op.add_column("submissions", sa.Column(name, TS, nullable=True))

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=True),
        sa.Column("result", JSONT, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])

    op.create_table(
        "notifications",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("failed_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_notifications_submission_id_submissions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("submission_id", "kind", name="uq_notifications_submission_id_kind"),
    )
    op.create_index("ix_notifications_unsent", "notifications", ["sent_at", "failed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_unsent", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("submissions") as batch:
        for name in reversed(_STAGES):
            batch.drop_column(name)
