"""The knowledge base as customers read it: the home page, category pages, article pages with
their related articles, and view counts.

An article `actor` may not read (a draft, an archived one, a customers-only one for somebody
not logged in) is `NotFound`, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..errors import NotFound
from ..models import ArticleStatus, KbArticle, KbArticleTag, KbCategory, KbOldSlug, KbViewCount
from ..permissions import Actor, article_visibility
from ..schemas_kb import KbArticlePage, KbArticleSummary, KbCategoryPage, KbHome
from .base import Service
from .kb_categories import article_counts, listed
from .kb_search import query_terms, ranked
from .kb_snapshots import (
    article_out,
    category_order,
    category_out,
    category_tree,
    summaries,
    summary,
    summary_options,
)

RELATED_LIMIT = 5
HOME_LIMIT = 5


class KbReadingService(Service):
    def home(self, actor: Actor, *, limit: int = HOME_LIMIT) -> KbHome:
        """Top categories with their subcategories and counts, the most read articles and the
        most recently updated ones, all as `actor` may see them."""
        limit = min(max(1, limit), 50)
        with self.reading() as uow:
            session = uow.session
            categories = category_tree(
                session.scalars(select(KbCategory)).all(), article_counts(session, actor)
            )
            popular = _listing(
                session,
                select(KbArticle)
                .outerjoin(KbViewCount)
                .where(listed(actor))
                .order_by(func.coalesce(KbViewCount.count, 0).desc(), KbArticle.id.desc())
                .limit(limit),
            )
            recent = _listing(
                session,
                select(KbArticle)
                .where(listed(actor))
                .order_by(KbArticle.updated_at.desc(), KbArticle.id.desc())
                .limit(limit),
            )
            return KbHome(categories=categories, popular=popular, recent=recent)

    def category(self, actor: Actor, slug: str) -> KbCategoryPage:
        """A category's page: the category, its parent, its subcategories (in `children`) and
        its own articles by title."""
        with self.reading() as uow:
            session = uow.session
            row = session.scalar(select(KbCategory).where(KbCategory.slug == slug.lower()))
            if row is None:
                raise NotFound(f"no category {slug!r}")
            counts = article_counts(session, actor)
            children = session.scalars(select(KbCategory).where(KbCategory.parent_id == row.id))
            kids = [category_out(c, counts) for c in sorted(children, key=category_order)]
            parent = session.get(KbCategory, row.parent_id) if row.parent_id else None
            articles = _listing(
                session,
                select(KbArticle)
                .where(listed(actor), KbArticle.category_id == row.id)
                .order_by(func.lower(KbArticle.title), KbArticle.id),
            )
            return KbCategoryPage(
                category=category_out(row, counts, kids),
                parent=category_out(parent, counts) if parent is not None else None,
                articles=articles,
            )

    def article(
        self,
        actor: Actor,
        category_slug: str,
        article_slug: str,
        *,
        count_view: bool = True,
    ) -> KbArticlePage:
        """The article at `/kb/<category_slug>/<article_slug>`, with its related articles.

        An old address (a slug or category the article had before) finds it too, with
        `moved=True`: answer with a permanent redirect to `article.path`. A customer's read
        counts as a view unless `count_view` is False; staff reads never count.
        """
        counting = count_view and not actor.is_staff
        with self.transaction() if counting else self.reading() as uow:
            session = uow.session
            found = _resolve(session, actor, category_slug.lower(), article_slug.lower())
            if found is None:
                raise NotFound(f"no article at /kb/{category_slug}/{article_slug}")
            row, moved = found
            if counting:
                _count_view(session, row)
            related = _related(session, actor, row, RELATED_LIMIT)
            return KbArticlePage(article=article_out(row), related=related, moved=moved)

    def related(
        self, actor: Actor, article_id: int, *, limit: int = RELATED_LIMIT
    ) -> list[KbArticleSummary]:
        """Published articles to read next: those agents chose, then those sharing the most
        tags, then those whose text is closest to the title."""
        with self.reading() as uow:
            session = uow.session
            row = _article(session, actor, KbArticle.id == article_id)
            if row is None:
                raise NotFound(f"no article {article_id}")
            return _related(session, actor, row, min(max(1, limit), 20))


def _listing(session: Session, statement: Select[KbArticle]) -> list[KbArticleSummary]:
    return [summary(r) for r in session.scalars(statement.options(*summary_options())).all()]


def _article(session: Session, actor: Actor, *where: ColumnElement[bool]) -> KbArticle | None:
    return session.scalar(
        select(KbArticle)
        .where(article_visibility(actor), *where)
        .options(
            *summary_options(),
            selectinload(KbArticle.related),
            selectinload(KbArticle.author),
        )
    )


def _resolve(
    session: Session, actor: Actor, category_slug: str, article_slug: str
) -> tuple[KbArticle, bool] | None:
    """The article at an address, and whether it has moved from there: its current address;
    an old one in that category; else, the category slug having changed, the one article
    that has (or had) that slug."""
    category_id = session.scalar(select(KbCategory.id).where(KbCategory.slug == category_slug))
    if category_id is not None:
        row = _article(
            session, actor, KbArticle.category_id == category_id, KbArticle.slug == article_slug
        )
        if row is not None:
            return row, False
        old = select(KbOldSlug.article_id).where(
            KbOldSlug.category_id == category_id, KbOldSlug.slug == article_slug
        )
        row = _article(session, actor, KbArticle.id.in_(old))
        if row is not None:
            return row, True
    for where in (
        KbArticle.slug == article_slug,
        KbArticle.id.in_(select(KbOldSlug.article_id).where(KbOldSlug.slug == article_slug)),
    ):
        ids = session.scalars(
            select(KbArticle.id)
            .where(article_visibility(actor), KbArticle.category_id.is_not(None), where)
            .limit(2)
        ).all()
        if len(ids) > 1:
            return None  # ambiguous: better no page than the wrong one
        row = _article(session, actor, KbArticle.id == ids[0]) if ids else None
        if row is not None:
            return row, True
    return None


def _count_view(session: Session, row: KbArticle) -> None:
    counted = session.execute(
        update(KbViewCount)
        .where(KbViewCount.article_id == row.id)
        .values(count=KbViewCount.count + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount == 0:  # type: ignore[attr-defined]
        # An article written by other means than the service has no counter yet.
        try:
            with session.begin_nested():
                session.add(KbViewCount(article_id=row.id, count=1))
        except IntegrityError:
            pass
    session.refresh(row, ["views"])


def _related(session: Session, actor: Actor, row: KbArticle, limit: int) -> list[KbArticleSummary]:
    visible = listed(actor)
    chosen = [r.related_id for r in row.related]
    ids: list[int] = []
    if chosen:
        allowed = set(
            session.scalars(select(KbArticle.id).where(KbArticle.id.in_(chosen), visible)).all()
        )
        ids = [i for i in chosen if i in allowed][:limit]
    tags = [t.tag for t in row.tags]
    if len(ids) < limit and tags:
        shared = func.count().label("shared")
        ids += session.scalars(
            select(KbArticleTag.article_id)
            .join(KbArticle, KbArticle.id == KbArticleTag.article_id)
            .where(KbArticleTag.tag.in_(tags), visible, KbArticle.id.not_in([row.id, *ids]))
            .group_by(KbArticleTag.article_id)
            .order_by(shared.desc(), KbArticleTag.article_id.desc())
            .limit(limit - len(ids))
        ).all()
    if len(ids) < limit:
        ids += _similar(session, actor, row, [row.id, *ids], limit - len(ids))
    return summaries(session, ids)


def _similar(
    session: Session, actor: Actor, row: KbArticle, exclude: list[int], limit: int
) -> list[int]:
    """Articles whose text best matches any word of `row`'s title, by the search engine."""
    terms = query_terms(row.title, session.get_bind().dialect.name)
    if not terms:
        return []
    statement, score = ranked(session, terms, any_term=True)
    found: Any = session.execute(
        statement.where(
            listed(actor),
            KbArticle.status == ArticleStatus.PUBLISHED,
            KbArticle.id.not_in(exclude),
        )
        .order_by(score.desc(), KbArticle.id)
        .limit(limit)
    )
    return [r[0] for r in found]
