"""SLA: business calendars, policies, warnings given, and deadlines on tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:19:06.940600

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketcore_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_calendars")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_calendars_slug")),
    )
    op.create_table(
        "ticketcore_sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["ticketcore_calendars.id"],
            name=op.f("fk_ticketcore_sla_policies_calendar_id_ticketcore_calendars"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["ticketcore_organizations.id"],
            name=op.f("fk_ticketcore_sla_policies_organization_id_ticketcore_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["ticketcore_teams.id"],
            name=op.f("fk_ticketcore_sla_policies_team_id_ticketcore_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_sla_policies")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_sla_policies_slug")),
    )
    op.create_table(
        "ticketcore_sla_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "due_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_sla_events_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_sla_events")),
        sa.UniqueConstraint(
            "ticket_id",
            "target",
            "kind",
            name=op.f("uq_ticketcore_sla_events_ticket_id_target_kind"),
        ),
    )
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "response_by",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "resolution_by",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("sla_state", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sla_paused_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
        # Existing tickets have waited on nobody yet: 0, so the NOT NULL column can be added.
        batch_op.add_column(
            sa.Column("sla_paused_minutes", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            batch_op.f("ix_ticketcore_tickets_resolution_by"), ["resolution_by"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ticketcore_tickets_sla_policy_id_ticketcore_sla_policies"),
            "ticketcore_sla_policies",
            ["sla_policy_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ticketcore_tickets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ticketcore_tickets_sla_policy_id_ticketcore_sla_policies"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_ticketcore_tickets_resolution_by"))
        batch_op.drop_column("sla_paused_minutes")
        batch_op.drop_column("sla_paused_at")
        batch_op.drop_column("sla_state")
        batch_op.drop_column("resolution_by")
        batch_op.drop_column("response_by")
        batch_op.drop_column("sla_policy_id")

    op.drop_table("ticketcore_sla_events")
    op.drop_table("ticketcore_sla_policies")
    op.drop_table("ticketcore_calendars")
