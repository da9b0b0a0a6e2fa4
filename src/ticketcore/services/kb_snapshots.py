"""Knowledge-base rows as the snapshots the services hand out, and where an article lives.

Shared by the writing, reading and search services, so an article looks the same whichever
of them returns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from ..models import KbArticle, KbCategory
from ..rendering import render_article
from ..schemas_kb import KbArticleOut, KbArticleSummary, KbCategoryOut
from ..settings import Settings

EXCERPT_LENGTH = 200


def article_path(category_slug: str | None, slug: str) -> str:
    """Where the customer portal shows an article, below its prefix: `/kb/<category>/<slug>`."""
    return f"/kb/{category_slug}/{slug}" if category_slug else ""


def article_url(settings: Settings, path: str) -> str:
    """The full address of an article's page (`settings.site_url` + its path)."""
    return settings.site_url.rstrip("/") + path


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a text, cut at a word, with an ellipsis when cut."""
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] if " " in text[:length] else text[:length]
    return cut.rstrip(" ,.;:") + "…"


def summary_options() -> list[LoaderOption]:
    return [
        selectinload(KbArticle.category),
        selectinload(KbArticle.tags),
        selectinload(KbArticle.views),
    ]


def summary(row: KbArticle) -> KbArticleSummary:
    return KbArticleSummary.model_validate(_summary_fields(row))


def article_out(row: KbArticle) -> KbArticleOut:
    """The whole article; its body rendered now, so the rules of `render_article` in force
    today apply to every article, however old."""
    return KbArticleOut.model_validate(
        {
            **_summary_fields(row),
            "body": row.body,
            "html": render_article(row.body),
            "author_id": row.author_id,
            "author_name": row.author.display_name if row.author is not None else None,
            "created_at": row.created_at,
            "related_ids": [r.related_id for r in row.related],
        }
    )


def _summary_fields(row: KbArticle) -> dict[str, object]:
    category = row.category
    return {
        "id": row.id,
        "title": row.title,
        "slug": row.slug,
        "path": article_path(category.slug if category else None, row.slug),
        "category_id": row.category_id,
        "category_slug": category.slug if category else None,
        "category_name": category.name if category else None,
        "status": row.status.value,
        "audience": row.audience.value,
        "tags": [t.tag for t in row.tags],
        "excerpt": excerpt(row.search_text),
        "view_count": row.view_count,
        "updated_at": row.updated_at,
        "published_at": row.published_at,
    }


def articles_in_order(session: Session, ids: Sequence[int]) -> list[KbArticle]:
    """The articles `ids` with what a summary shows, in that order (missing ids left out)."""
    if not ids:
        return []
    rows = session.scalars(
        select(KbArticle).where(KbArticle.id.in_(ids)).options(*summary_options())
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def summaries(session: Session, ids: Sequence[int]) -> list[KbArticleSummary]:
    """Summaries of the articles `ids`, in that order: two statements."""
    return [summary(row) for row in articles_in_order(session, ids)]


def category_tree(rows: Iterable[KbCategory], counts: dict[int, int]) -> list[KbCategoryOut]:
    """Top categories with their children, each ordered by position then name; a top
    category's count includes its children's articles."""
    ordered = sorted(rows, key=category_order)
    children: dict[int, list[KbCategoryOut]] = {}
    for row in ordered:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(category_out(row, counts))
    return [
        category_out(row, counts, children.get(row.id, []))
        for row in ordered
        if row.parent_id is None
    ]


def category_order(row: KbCategory) -> tuple[int, str, int]:
    """Categories sort by position, then name (here: databases disagree on case and accents)."""
    return (row.position, row.name.casefold(), row.id)


def category_out(
    row: KbCategory, counts: dict[int, int], children: list[KbCategoryOut] | None = None
) -> KbCategoryOut:
    kids = children or []
    return KbCategoryOut(
        id=row.id,
        name=row.name,
        slug=row.slug,
        description=row.description,
        parent_id=row.parent_id,
        position=row.position,
        article_count=counts.get(row.id, 0) + sum(c.article_count for c in kids),
        children=kids,
    )
