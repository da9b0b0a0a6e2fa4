"""The agent portal's records: tasks linked to tickets, canned responses, saved queue views,
portal settings changed by admins, staff-started conversations (general or document request)
and merged tickets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 03:50:18.698885

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketcore_site_settings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ticketcore_site_settings")),
    )
    op.create_table(
        "ticketcore_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_saved_views_user_id_ticketcore_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_saved_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_ticketcore_saved_views_user_id_name")),
    )
    op.create_table(
        "ticketcore_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column(
            "done_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_tasks_created_by_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_tasks")),
    )
    with op.batch_alter_table("ticketcore_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticketcore_tasks_due_on"), ["due_on"], unique=False)

    op.create_table(
        "ticketcore_canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["ticketcore_teams.id"],
            name=op.f("fk_ticketcore_canned_responses_team_id_ticketcore_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_canned_responses")),
        sa.UniqueConstraint("title", name=op.f("uq_ticketcore_canned_responses_title")),
    )
    op.create_table(
        "ticketcore_ticket_tasks",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column(
            "linked_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["ticketcore_tasks.id"],
            name=op.f("fk_ticketcore_ticket_tasks_task_id_ticketcore_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_ticket_tasks_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "task_id", name=op.f("pk_ticketcore_ticket_tasks")),
    )
    with op.batch_alter_table("ticketcore_ticket_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_ticket_tasks_task_id"), ["task_id"], unique=False
        )

    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("awaited_document", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "document_received_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ticketcore_tickets_merged_into_id_ticketcore_tickets"),
            "ticketcore_tickets",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ticketcore_tickets_merged_into_id_ticketcore_tickets"),
            type_="foreignkey",
        )
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("document_received_at")
        batch_op.drop_column("awaited_document")
        batch_op.drop_column("conversation_type")

    # Dropping the table drops its index (MariaDB refuses to drop it first: a foreign key uses it).
    op.drop_table("ticketcore_ticket_tasks")
    op.drop_table("ticketcore_canned_responses")
    with op.batch_alter_table("ticketcore_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticketcore_tasks_due_on"))

    op.drop_table("ticketcore_tasks")
    op.drop_table("ticketcore_saved_views")
    op.drop_table("ticketcore_site_settings")
