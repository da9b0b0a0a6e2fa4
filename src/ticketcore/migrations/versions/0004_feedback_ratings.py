"""Feedback: one rating (1 to 5, with a comment) per resolved ticket.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 01:38:48.558426

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketcore_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_feedback_author_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_feedback_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_feedback")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticketcore_feedback_ticket_id")),
    )


def downgrade() -> None:
    op.drop_table("ticketcore_feedback")
