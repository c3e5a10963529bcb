"""The comms team's watch list (issue 11).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "watch_entries",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False),
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("aliases", JSONT, nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("until", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(128), nullable=False),
        sa.Column("added_by_platform", sa.String(16), nullable=False),
        sa.Column("added_by_name", sa.String(200), nullable=True),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.Column("removed_by", sa.String(128), nullable=True),
        sa.CheckConstraint(
            "kind IN ('case','injunction','embargo','codename','person','topic')",
            name="ck_watch_entries_kind",
        ),
        sa.CheckConstraint(
            "severity IS NULL OR severity IN ('advise','needs_approval','do_not_post')",
            name="ck_watch_entries_severity",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watch_entries"),
    )
    op.create_index(
        "ix_watch_entries_workspace_removed_at", "watch_entries", ["workspace", "removed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_watch_entries_workspace_removed_at", table_name="watch_entries")
    op.drop_table("watch_entries")
