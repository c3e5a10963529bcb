"""Per-workspace scoping, settings and Slack OAuth installations (issue 16).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

* ``workspace`` on ``submissions`` and ``audit_log`` (``''`` for rows written
  before: the single-organisation install), so each Slack workspace / Teams
  tenant sees only its own queue and trail.
* ``workspace_settings``: what a workspace's admin set (approvers' channel,
  approvers, profile, organisation details, overrides) over the config file.
* ``slack_installations``, ``slack_bots``, ``slack_oauth_states``: the tables of
  slack_sdk's SQLAlchemy installation and OAuth state stores, column for
  column, so our migrations (not the SDK's ``create_tables``) own them on both
  backends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _workspace() -> sa.Column[str]:
    return sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False)


def upgrade() -> None:
    op.add_column("submissions", _workspace())
    op.create_index(
        "ix_submissions_workspace_state_created_at",
        "submissions",
        ["workspace", "state", "created_at"],
    )
    op.add_column("audit_log", _workspace())
    op.create_index("ix_audit_log_workspace_at", "audit_log", ["workspace", "at"])
    op.create_table(
        "workspace_settings",
        _workspace(),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("settings", JSONT, nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("workspace", name="pk_workspace_settings"),
    )
    # slack_sdk.oauth.installation_store.sqlalchemy.SQLAlchemyInstallationStore
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_bots"),
    )
    op.create_index(
        "slack_bots_idx",
        "slack_bots",
        ["client_id", "enterprise_id", "team_id", "installed_at"],
    )
    # slack_sdk.oauth.state_store.sqlalchemy.SQLAlchemyOAuthStateStore
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_oauth_states"),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
    op.drop_table("workspace_settings")
    op.drop_index("ix_audit_log_workspace_at", table_name="audit_log")
    op.drop_column("audit_log", "workspace")
    op.drop_index("ix_submissions_workspace_state_created_at", table_name="submissions")
    op.drop_column("submissions", "workspace")
