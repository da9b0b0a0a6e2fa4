"""Account security (verification, password changes, TOTP, notification preferences), login
failures for rate limiting, and encrypted secure data.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:37:16.826533

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketcore_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column(
            "failed_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_login_failures")),
    )
    with op.batch_alter_table("ticketcore_login_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticketcore_login_failures_key_at", ["key", "failed_at"], unique=False
        )

    op.create_table(
        "ticketcore_secure_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "purged_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_secure_data_author_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_secure_data_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_secure_data")),
    )
    with op.batch_alter_table("ticketcore_secure_data", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_secure_data_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("ticketcore_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "email_verified_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "password_changed_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("notification_preferences", sa.JSON(), nullable=True))
    # Accounts made before verification existed were vouched for by whoever created them.
    op.execute("UPDATE ticketcore_users SET email_verified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("ticketcore_users", schema=None) as batch_op:
        batch_op.drop_column("notification_preferences")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("email_verified_at")

    # Dropping a table drops its indexes (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("ticketcore_secure_data")
    op.drop_table("ticketcore_login_failures")
