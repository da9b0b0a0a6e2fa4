"""The knowledge base: categories, articles with their tags, chosen related articles and old
slugs, readers' votes, and the suggestions shown beside the new-ticket form (deflection).

Full-text search needs a structure of each database's own that the models cannot describe on
every backend alike, so it is made by DDL hooked to the articles table (`create_all` makes it,
`drop_all` removes it) and by migration 0007; the names below say what it is, for the
comparison of models and migrations to leave alone (`is_search_structure`):

* SQLite: an FTS5 table `ticketcore_kb_search` (rowid = article id; title, text), kept in step
  by the article service on every write;
* PostgreSQL: a generated `search_vector` column (title weighted 'A', text 'B') and its GIN index;
* MariaDB/MySQL: FULLTEXT indexes on (title) and on (title, search_text).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, StrEnumType, UTCDateTime
from .messages import LongText


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # the only status a customer ever sees
    ARCHIVED = "archived"


class Audience(enum.StrEnum):
    PUBLIC = "public"  # anyone, logged in or not
    CUSTOMERS = "customers"  # logged-in customers (and staff)


class SuggestionOutcome(enum.StrEnum):
    OPENED = "opened"  # the visitor opened a suggested article; nothing decided yet
    DEFLECTED = "deflected"  # they left without opening the ticket
    CONVERTED = "converted"  # they opened the ticket anyway


class KbCategory(Base):
    """A group of articles; categories nest one level (a top category and its subcategories)."""

    __tablename__ = "ticketcore_kb_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_kb_categories.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[KbCategory | None] = relationship(remote_side="KbCategory.id")


class KbArticle(Base):
    """An article: Markdown `body`, and `search_text`, the plain text it renders to, which the
    full-text index and the search snippets read."""

    __tablename__ = "ticketcore_kb_articles"
    __table_args__ = (
        UniqueConstraint("category_id", "slug"),
        Index("ix_ticketcore_kb_articles_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_kb_categories.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(LongText)  # Markdown, up to 100,000 characters
    search_text: Mapped[str] = mapped_column(LongText)
    status: Mapped[ArticleStatus] = mapped_column(StrEnumType(ArticleStatus))
    audience: Mapped[Audience] = mapped_column(StrEnumType(Audience))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    category: Mapped[KbCategory | None] = relationship()
    author: Mapped[User | None] = relationship()
    tags: Mapped[list[KbArticleTag]] = relationship(
        cascade="all, delete-orphan", order_by="KbArticleTag.tag"
    )
    related: Mapped[list[KbRelated]] = relationship(
        cascade="all, delete-orphan",
        foreign_keys="KbRelated.article_id",
        order_by="KbRelated.position",
    )
    views: Mapped[KbViewCount | None] = relationship(cascade="all, delete-orphan")

    @property
    def view_count(self) -> int:
        return self.views.count if self.views is not None else 0


class KbViewCount(Base):
    """How often an article's page was read, apart from the article: counting a view then
    never rewrites (or locks) the article row, which on PostgreSQL would recompute its
    search vector every time."""

    __tablename__ = "ticketcore_kb_view_counts"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0, index=True)


class KbArticleTag(Base):
    __tablename__ = "ticketcore_kb_article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class KbRelated(Base):
    """An article an agent chose to show beside another, in their order."""

    __tablename__ = "ticketcore_kb_related"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class KbOldSlug(Base):
    """Where an article used to be (category and slug), so old links keep working."""

    __tablename__ = "ticketcore_kb_old_slugs"
    __table_args__ = (UniqueConstraint("category_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_categories.id", ondelete="CASCADE")
    )
    slug: Mapped[str] = mapped_column(String(200))


class KbVote(Base):
    """One visitor's answer to "Was this helpful?"; the first answer stands."""

    __tablename__ = "ticketcore_kb_votes"
    __table_args__ = (UniqueConstraint("article_id", "visitor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE")
    )
    visitor_key: Mapped[str] = mapped_column(String(120))  # "user:<id>" or "visitor:<key>"
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KbSuggestion(Base):
    """A suggested article a visitor opened from the new-ticket form, and what came of it."""

    __tablename__ = "ticketcore_kb_suggestions"
    __table_args__ = (
        Index("ix_ticketcore_kb_suggestions_outcome_opened_at", "outcome", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_kb_articles.id", ondelete="CASCADE"), index=True
    )
    visitor_key: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[SuggestionOutcome] = mapped_column(StrEnumType(SuggestionOutcome))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# ---------------------------------------------------------------- full-text structures

SEARCH_TABLE = "ticketcore_kb_search"  # SQLite FTS5 (its shadow tables start with this name)
SEARCH_COLUMN = "search_vector"  # PostgreSQL
SEARCH_INDEXES = frozenset(
    {
        "ix_ticketcore_kb_articles_search_vector",  # PostgreSQL GIN
        "ft_ticketcore_kb_articles_title",  # MariaDB FULLTEXT
        "ft_ticketcore_kb_articles_title_text",  # MariaDB FULLTEXT
    }
)
# The text search configuration of PostgreSQL: English stemming and stop words.
PG_CONFIG = "english"

# The same statements are written out in migration 0007 (revisions never import models).
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
PG_CREATE = (
    f"ALTER TABLE ticketcore_kb_articles ADD COLUMN {SEARCH_COLUMN} tsvector "
    f"GENERATED ALWAYS AS (setweight(to_tsvector('{PG_CONFIG}', title), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}', search_text), 'B')) STORED",
    f"CREATE INDEX ix_ticketcore_kb_articles_search_vector ON ticketcore_kb_articles "
    f"USING gin ({SEARCH_COLUMN})",
)
MYSQL_CREATE = (
    "CREATE FULLTEXT INDEX ft_ticketcore_kb_articles_title ON ticketcore_kb_articles (title)",
    "CREATE FULLTEXT INDEX ft_ticketcore_kb_articles_title_text "
    "ON ticketcore_kb_articles (title, search_text)",
)


def is_search_structure(type_: str, name: str | None) -> bool:
    """Whether a reflected object is part of the full-text structures above."""
    if name is None:
        return False
    if type_ == "table":
        return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")
    if type_ == "column":
        return name == SEARCH_COLUMN
    if type_ == "index":
        return name in SEARCH_INDEXES
    return False


@event.listens_for(KbArticle.__table__, "after_create")
def _create_search_structures(target: Any, connection: Connection, **kw: Any) -> None:
    """`create_all` makes the full-text structures of the database along with the table."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        has_fts5 = "SELECT sqlite_compileoption_used('ENABLE_FTS5')"
        if connection.exec_driver_sql(has_fts5).scalar():  # else search falls back to LIKE
            connection.exec_driver_sql(SQLITE_CREATE)
    statements = {"postgresql": PG_CREATE, "mysql": MYSQL_CREATE, "mariadb": MYSQL_CREATE}
    for statement in statements.get(dialect, ()):
        connection.exec_driver_sql(statement)


@event.listens_for(KbArticle.__table__, "before_drop")
def _drop_search_structures(target: Any, connection: Connection, **kw: Any) -> None:
    """`drop_all` removes them (only SQLite's live apart from the table)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
