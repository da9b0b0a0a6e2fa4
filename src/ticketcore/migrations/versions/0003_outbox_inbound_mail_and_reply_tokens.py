"""Notifications: the outbox, the inbound email log, and each ticket's reply token.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:52:18.663661

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketcore_inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_message_id", sa.String(length=255), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column(
            "raw",
            sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.Column(
            "received_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticketcore_messages.id"],
            name=op.f("fk_ticketcore_inbound_mail_message_id_ticketcore_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_inbound_mail_ticket_id_ticketcore_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_inbound_mail")),
    )
    with op.batch_alter_table("ticketcore_inbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_inbound_mail_email_message_id"),
            ["email_message_id"],
            unique=False,
        )

    op.create_table(
        "ticketcore_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("email_message_id", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "sent_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticketcore_messages.id"],
            name=op.f("fk_ticketcore_outbox_message_id_ticketcore_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_outbox_recipient_user_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_outbox_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_outbox")),
        sa.UniqueConstraint("email_message_id", name=op.f("uq_ticketcore_outbox_email_message_id")),
    )
    with op.batch_alter_table("ticketcore_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticketcore_outbox_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticketcore_outbox_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_token", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_ticketcore_tickets_reply_token"), ["reply_token"]
        )
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        # TEXT holds 64 KB there; a message may be 100,000 characters of 4-byte UTF-8.
        for column in ("body", "body_html"):
            op.alter_column(
                "ticketcore_messages",
                column,
                type_=mysql.MEDIUMTEXT(),
                existing_type=sa.Text(),
                existing_nullable=False,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        for column in ("body", "body_html"):
            op.alter_column(
                "ticketcore_messages",
                column,
                type_=sa.Text(),
                existing_type=mysql.MEDIUMTEXT(),
                existing_nullable=False,
            )
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ticketcore_tickets_reply_token"), type_="unique")
        batch_op.drop_column("reply_token")
    # Dropping a table drops its indexes; MariaDB refuses to drop a foreign key's index first.
    op.drop_table("ticketcore_outbox")
    op.drop_table("ticketcore_inbound_mail")
