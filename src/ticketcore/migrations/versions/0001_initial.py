"""The initial schema: accounts, organizations, teams, templates, tickets, messages, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What `UTCDateTime` stores: naive UTC, with microseconds on MariaDB/MySQL (their DATETIME
# drops them otherwise, and events in the same second would lose their order).
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

# Children before parents, so no foreign key points at a table that is already gone.
TABLES_IN_DROP_ORDER = (
    "ticketcore_attachments",
    "ticketcore_ticket_cc",
    "ticketcore_messages",
    "ticketcore_audit_events",
    "ticketcore_tickets",
    "ticketcore_team_members",
    "ticketcore_teams",
    "ticketcore_organization_staff",
    "ticketcore_users",
    "ticketcore_template_fields",
    "ticketcore_organization_domains",
    "ticketcore_ticket_templates",
    "ticketcore_organizations",
    "ticketcore_counters",
)


def upgrade() -> None:
    counters = op.create_table(
        "ticketcore_counters",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ticketcore_counters")),
    )
    # The ticket-number counter must exist before the first ticket: creating it lazily would
    # let the first two tickets race for number 1.
    op.bulk_insert(counters, [{"name": "ticket", "value": 0}])
    op.create_table(
        "ticketcore_organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_organizations_slug")),
    )
    op.create_table(
        "ticketcore_ticket_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_ticket_templates")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_ticket_templates_slug")),
    )
    op.create_table(
        "ticketcore_organization_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["ticketcore_organizations.id"],
            name=op.f(
                "fk_ticketcore_organization_domains_organization_id_ticketcore_organizations"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_organization_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_ticketcore_organization_domains_domain")),
    )
    op.create_index(
        op.f("ix_ticketcore_organization_domains_organization_id"),
        "ticketcore_organization_domains",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "ticketcore_template_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("help_text", sa.String(length=500), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["ticketcore_ticket_templates.id"],
            name=op.f("fk_ticketcore_template_fields_template_id_ticketcore_ticket_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_template_fields")),
        sa.UniqueConstraint(
            "template_id", "key", name=op.f("uq_ticketcore_template_fields_template_id_key")
        ),
    )
    op.create_table(
        "ticketcore_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["ticketcore_organizations.id"],
            name=op.f("fk_ticketcore_users_organization_id_ticketcore_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_users")),
        sa.UniqueConstraint("email_key", name=op.f("uq_ticketcore_users_email_key")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ticketcore_users_external_id")),
    )
    op.create_index(
        op.f("ix_ticketcore_users_organization_id"),
        "ticketcore_users",
        ["organization_id"],
        unique=False,
    )
    op.create_index(op.f("ix_ticketcore_users_role"), "ticketcore_users", ["role"], unique=False)
    op.create_table(
        "ticketcore_organization_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["ticketcore_organizations.id"],
            name=op.f("fk_ticketcore_organization_staff_organization_id_ticketcore_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_organization_staff_user_id_ticketcore_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_organization_staff")),
        sa.UniqueConstraint(
            "organization_id",
            "user_id",
            name=op.f("uq_ticketcore_organization_staff_organization_id_user_id"),
        ),
    )
    op.create_index(
        op.f("ix_ticketcore_organization_staff_user_id"),
        "ticketcore_organization_staff",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "ticketcore_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("last_assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["last_assigned_user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_teams_last_assigned_user_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_teams")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_teams_slug")),
    )
    op.create_table(
        "ticketcore_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["ticketcore_teams.id"],
            name=op.f("fk_ticketcore_team_members_team_id_ticketcore_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_team_members_user_id_ticketcore_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_team_members")),
        sa.UniqueConstraint(
            "team_id", "user_id", name=op.f("uq_ticketcore_team_members_team_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_ticketcore_team_members_user_id"),
        "ticketcore_team_members",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "ticketcore_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("guest_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("first_response_at", UTC_DATETIME, nullable=True),
        sa.Column("last_reply_at", UTC_DATETIME, nullable=False),
        sa.Column("last_reply_by", sa.String(length=10), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("note_count", sa.Integer(), nullable=False),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_tickets_assignee_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["ticketcore_organizations.id"],
            name=op.f("fk_ticketcore_tickets_organization_id_ticketcore_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_tickets_requester_id_ticketcore_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["ticketcore_teams.id"],
            name=op.f("fk_ticketcore_tickets_team_id_ticketcore_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["ticketcore_ticket_templates.id"],
            name=op.f("fk_ticketcore_tickets_template_id_ticketcore_ticket_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_tickets")),
        sa.UniqueConstraint(
            "guest_token_hash", name=op.f("uq_ticketcore_tickets_guest_token_hash")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_ticketcore_tickets_number")),
        sa.UniqueConstraint("track_id", name=op.f("uq_ticketcore_tickets_track_id")),
    )
    op.create_index(
        "ix_ticketcore_tickets_assignee_status",
        "ticketcore_tickets",
        ["assignee_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ticketcore_tickets_created_at"), "ticketcore_tickets", ["created_at"], unique=False
    )
    op.create_index(
        "ix_ticketcore_tickets_org_last_reply",
        "ticketcore_tickets",
        ["organization_id", "last_reply_at"],
        unique=False,
    )
    op.create_index(
        "ix_ticketcore_tickets_requester_last_reply",
        "ticketcore_tickets",
        ["requester_id", "last_reply_at"],
        unique=False,
    )
    op.create_index(
        "ix_ticketcore_tickets_status_resolved",
        "ticketcore_tickets",
        ["status", "resolved_at"],
        unique=False,
    )
    op.create_index(
        "ix_ticketcore_tickets_team_status",
        "ticketcore_tickets",
        ["team_id", "status"],
        unique=False,
    )
    op.create_table(
        "ticketcore_audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_audit_events_actor_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_audit_events_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_audit_events")),
    )
    op.create_index(
        "ix_ticketcore_audit_events_ticket_created",
        "ticketcore_audit_events",
        ["ticket_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "ticketcore_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("is_internal", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("email_message_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_messages_author_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_messages_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_messages")),
        sa.UniqueConstraint(
            "email_message_id", name=op.f("uq_ticketcore_messages_email_message_id")
        ),
    )
    op.create_index(
        op.f("ix_ticketcore_messages_author_id"), "ticketcore_messages", ["author_id"], unique=False
    )
    op.create_index(
        "ix_ticketcore_messages_ticket_created",
        "ticketcore_messages",
        ["ticket_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "ticketcore_ticket_cc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_ticket_cc_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_ticket_cc")),
        sa.UniqueConstraint(
            "ticket_id", "email_key", name=op.f("uq_ticketcore_ticket_cc_ticket_id_email_key")
        ),
    )
    op.create_index(
        op.f("ix_ticketcore_ticket_cc_email_key"),
        "ticketcore_ticket_cc",
        ["email_key"],
        unique=False,
    )
    op.create_table(
        "ticketcore_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticketcore_messages.id"],
            name=op.f("fk_ticketcore_attachments_message_id_ticketcore_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_attachments_ticket_id_ticketcore_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_ticketcore_attachments_storage_key")),
    )
    op.create_index(
        op.f("ix_ticketcore_attachments_message_id"),
        "ticketcore_attachments",
        ["message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ticketcore_attachments_ticket_id"),
        "ticketcore_attachments",
        ["ticket_id"],
        unique=False,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes with it.
    for table in TABLES_IN_DROP_ORDER:
        op.drop_table(table)
