"""The policy words each rule matched in a "was this right?" report (issue 10).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

* ``feedback.rules_matched``: per rule that asked for approval or more, the words it
  matched, kept only when they are the rule's own listed terms ("jury", "crown court",
  "shooting"), never free text. The stored draft is redacted (a legal finding's span
  becomes ``[LEGAL_1]``), so re-reviewing it cannot tell which words made a false alarm;
  these words let a confirmed false alarm ease a rule's finding on sibling drafts only
  when the rule matched nothing else there. Rows written before keep ``NULL`` (their
  redacted text is re-reviewed, as before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("feedback", sa.Column("rules_matched", JSONT, nullable=True))


def downgrade() -> None:
    op.drop_column("feedback", "rules_matched")
