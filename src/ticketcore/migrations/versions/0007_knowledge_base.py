"""The knowledge base: categories, articles (with tags, chosen related articles, old slugs and
view counts), helpfulness votes, deflection suggestions, and each database's full-text
structure for article search: an FTS5 table on SQLite, a weighted tsvector column with a GIN
index on PostgreSQL, FULLTEXT indexes on MariaDB/MySQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:37:57.025149

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here as in `ticketcore.models.kb` at this revision (revisions never import it).
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticketcore_kb_search USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
PG_SEARCH = (
    "ALTER TABLE ticketcore_kb_articles ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', search_text), 'B')) STORED",
    "CREATE INDEX ix_ticketcore_kb_articles_search_vector ON ticketcore_kb_articles "
    "USING gin (search_vector)",
)
MYSQL_SEARCH = (
    "CREATE FULLTEXT INDEX ft_ticketcore_kb_articles_title ON ticketcore_kb_articles (title)",
    "CREATE FULLTEXT INDEX ft_ticketcore_kb_articles_title_text "
    "ON ticketcore_kb_articles (title, search_text)",
)


def upgrade() -> None:
    op.create_table(
        "ticketcore_kb_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
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
            ["parent_id"],
            ["ticketcore_kb_categories.id"],
            name=op.f("fk_ticketcore_kb_categories_parent_id_ticketcore_kb_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_kb_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_ticketcore_kb_categories_slug")),
    )
    with op.batch_alter_table("ticketcore_kb_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_categories_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "ticketcore_kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column(
            "body",
            sa.Text()
            .with_variant(mysql.MEDIUMTEXT(), "mariadb")
            .with_variant(mysql.MEDIUMTEXT(), "mysql"),
            nullable=False,
        ),
        sa.Column(
            "search_text",
            sa.Text()
            .with_variant(mysql.MEDIUMTEXT(), "mariadb")
            .with_variant(mysql.MEDIUMTEXT(), "mysql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
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
        sa.Column(
            "published_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_kb_articles_author_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["ticketcore_kb_categories.id"],
            name=op.f("fk_ticketcore_kb_articles_category_id_ticketcore_kb_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_kb_articles")),
        sa.UniqueConstraint(
            "category_id", "slug", name=op.f("uq_ticketcore_kb_articles_category_id_slug")
        ),
    )
    with op.batch_alter_table("ticketcore_kb_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_articles_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticketcore_kb_articles_status_updated_at", ["status", "updated_at"], unique=False
        )

    op.create_table(
        "ticketcore_kb_article_tags",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_article_tags_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "tag", name=op.f("pk_ticketcore_kb_article_tags")),
    )
    with op.batch_alter_table("ticketcore_kb_article_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_article_tags_tag"), ["tag"], unique=False
        )

    op.create_table(
        "ticketcore_kb_old_slugs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_old_slugs_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["ticketcore_kb_categories.id"],
            name=op.f("fk_ticketcore_kb_old_slugs_category_id_ticketcore_kb_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_kb_old_slugs")),
        sa.UniqueConstraint(
            "category_id", "slug", name=op.f("uq_ticketcore_kb_old_slugs_category_id_slug")
        ),
    )
    with op.batch_alter_table("ticketcore_kb_old_slugs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_old_slugs_article_id"), ["article_id"], unique=False
        )

    op.create_table(
        "ticketcore_kb_related",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_related_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_related_related_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "related_id", name=op.f("pk_ticketcore_kb_related")),
    )
    with op.batch_alter_table("ticketcore_kb_related", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_related_related_id"), ["related_id"], unique=False
        )

    op.create_table(
        "ticketcore_kb_view_counts",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_view_counts_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_ticketcore_kb_view_counts")),
    )
    with op.batch_alter_table("ticketcore_kb_view_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_view_counts_count"), ["count"], unique=False
        )

    op.create_table(
        "ticketcore_kb_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("visitor_key", sa.String(length=120), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_votes_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["ticketcore_users.id"],
            name=op.f("fk_ticketcore_kb_votes_user_id_ticketcore_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_kb_votes")),
        sa.UniqueConstraint(
            "article_id", "visitor_key", name=op.f("uq_ticketcore_kb_votes_article_id_visitor_key")
        ),
    )
    op.create_table(
        "ticketcore_kb_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("visitor_key", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "opened_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.Column(
            "decided_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["ticketcore_kb_articles.id"],
            name=op.f("fk_ticketcore_kb_suggestions_article_id_ticketcore_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketcore_tickets.id"],
            name=op.f("fk_ticketcore_kb_suggestions_ticket_id_ticketcore_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketcore_kb_suggestions")),
    )
    with op.batch_alter_table("ticketcore_kb_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_suggestions_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticketcore_kb_suggestions_outcome_opened_at", ["outcome", "opened_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticketcore_kb_suggestions_visitor_key"), ["visitor_key"], unique=False
        )

    create_search_structures()


def create_search_structures() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        # A SQLite built without FTS5 gets no table: search then falls back to LIKE.
        if bind.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar():
            op.execute(SQLITE_SEARCH)
    elif dialect == "postgresql":
        for statement in PG_SEARCH:
            op.execute(statement)
    elif dialect in ("mysql", "mariadb"):
        for statement in MYSQL_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    # Dropping each table drops its indexes, the search column and FULLTEXT indexes with
    # them (MariaDB refuses to drop first an index a foreign key uses).
    op.execute("DROP TABLE IF EXISTS ticketcore_kb_search")  # SQLite's FTS5 table
    for table in (
        "ticketcore_kb_suggestions",
        "ticketcore_kb_votes",
        "ticketcore_kb_view_counts",
        "ticketcore_kb_related",
        "ticketcore_kb_old_slugs",
        "ticketcore_kb_article_tags",
        "ticketcore_kb_articles",
        "ticketcore_kb_categories",
    ):
        op.drop_table(table)
