"""An index for the agents' queues and dashboard: the unfinished tickets with who may see them
and their order, so a queue's count and page are read from the index alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 15:20:00.000000

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticketcore_tickets_worklist",
            [
                "status",
                "sla_state",
                "team_id",
                "assignee_id",
                "organization_id",
                "last_reply_at",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_ticketcore_tickets_worklist")
