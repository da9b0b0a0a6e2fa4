"""Writing knowledge-base articles: drafts, publishing, archiving; their slugs (an article's
old addresses keep leading to it), tags and the related articles agents choose.

Every write of a title or body also refreshes the article's plain text and, on SQLite, its row
in the full-text index, in the same transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from slugify import slugify
from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..errors import InvalidInput, NotFound
from ..models import (
    ArticleStatus,
    Audience,
    KbArticle,
    KbArticleTag,
    KbCategory,
    KbOldSlug,
    KbRelated,
    KbViewCount,
    Message,
)
from ..permissions import Actor, article_visibility, message_visibility
from ..rendering import article_text, render_article
from ..schemas import Page, parse
from ..schemas_kb import (
    KbArticleCreate,
    KbArticleOut,
    KbArticleQuery,
    KbArticleSummary,
    KbArticleUpdate,
)
from .base import Service
from .kb_categories import SLUG_MAX, find_category, require_writer
from .kb_search import index_article, unindex_article
from .kb_snapshots import article_out, article_url, summary, summary_options

_SORTS = {
    "title": (func.lower(KbArticle.title).asc(), KbArticle.id.asc()),
    "updated": (KbArticle.updated_at.desc(), KbArticle.id.desc()),
    "popular": (func.coalesce(KbViewCount.count, 0).desc(), KbArticle.id.desc()),
}


class KbArticleService(Service):
    def create(
        self,
        actor: Actor,
        data: KbArticleCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbArticleOut:
        """A new article, a draft unless `status="published"` (which needs a category)."""
        require_writer(actor)
        values = parse(KbArticleCreate, data, fields)
        with self.transaction() as uow:
            return article_out(self._create(uow.session, actor, values))

    def from_message(
        self, actor: Actor, message_id: int, *, category: int | str | None = None
    ) -> KbArticleOut:
        """A draft made from an answer in a ticket `actor` can see: the ticket's subject as
        title, the message's body as body, to be edited before publishing."""
        require_writer(actor)
        with self.transaction() as uow:
            session = uow.session
            message = session.scalar(
                select(Message).where(Message.id == message_id, message_visibility(actor))
            )
            if message is None:
                raise NotFound(f"no message {message_id}")
            ticket = self.helpdesk.tickets.load(session, actor, message.ticket_id)
            values = parse(
                KbArticleCreate,
                {"title": ticket.subject, "body": message.body, "category": category},
                {},
            )
            return article_out(self._create(session, actor, values))

    def update(
        self,
        actor: Actor,
        article_id: int,
        data: KbArticleUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbArticleOut:
        """Change the fields given. A published article given a new slug or category keeps
        its old address, which then leads to the new one."""
        require_writer(actor)
        values = parse(KbArticleUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            row = _load(session, actor, article_id)
            old_address = (row.category_id, row.slug)
            if "category" in given:
                row.category = (
                    find_category(session, values.category)
                    if values.category not in (None, "")
                    else None
                )
                if row.category is None and row.status is ArticleStatus.PUBLISHED:
                    raise InvalidInput("a published article needs a category", field="category")
            if values.title is not None:
                row.title = values.title
            if values.body is not None:
                row.body = values.body
                row.search_text = article_text(values.body)
            if values.audience is not None:
                row.audience = Audience(values.audience)
            if values.tags is not None:
                _set_tags(row, values.tags)
            if values.related is not None:
                _set_related(session, row, values.related)
            category_id = row.category.id if row.category is not None else None
            if values.slug is not None or category_id != old_address[0]:
                strict = values.slug is not None
                wanted = values.slug if values.slug is not None else row.slug
                row.slug = _free_slug(session, category_id, wanted, strict=strict, but=row.id)
            if (category_id, row.slug) != old_address:
                _moved(session, row, category_id, *old_address)
            row.updated_at = self.helpdesk.clock.now()
            _flush(session)
            if {"title", "body"} & given:
                index_article(session, row)
            return article_out(row)

    def publish(self, actor: Actor, article_id: int) -> KbArticleOut:
        """Show the article to customers (it needs a category)."""
        return self._set_status(actor, article_id, ArticleStatus.PUBLISHED)

    def archive(self, actor: Actor, article_id: int) -> KbArticleOut:
        """Withdraw the article from customers, keeping it for staff."""
        return self._set_status(actor, article_id, ArticleStatus.ARCHIVED)

    def unpublish(self, actor: Actor, article_id: int) -> KbArticleOut:
        """Back to a draft."""
        return self._set_status(actor, article_id, ArticleStatus.DRAFT)

    def delete(self, actor: Actor, article_id: int) -> None:
        require_writer(actor)
        with self.transaction() as uow:
            session = uow.session
            session.delete(_load(session, actor, article_id))
            session.flush()
            unindex_article(session, article_id)

    def get(self, actor: Actor, article_id: int) -> KbArticleOut:
        """An article by id; one `actor` may not read is `NotFound`."""
        with self.reading() as uow:
            return article_out(_load(uow.session, actor, article_id))

    def list(
        self, actor: Actor, query: KbArticleQuery | Mapping[str, Any] | None = None, **fields: Any
    ) -> Page[KbArticleSummary]:
        """One page of the articles `actor` may read (staff: any status, or the one asked)."""
        values = parse(KbArticleQuery, query, fields)
        with self.reading() as uow:
            session = uow.session
            where = [article_visibility(actor)]
            if values.status is not None:
                where.append(KbArticle.status == ArticleStatus(values.status))
            if values.category not in (None, ""):
                assert values.category is not None
                category = find_category(session, values.category)
                where.append(KbArticle.category_id.in_(_family(category.id)))
            if values.tag:
                tagged = select(KbArticleTag.article_id).where(
                    KbArticleTag.tag == " ".join(values.tag.split()).lower()
                )
                where.append(KbArticle.id.in_(tagged))
            total = session.scalar(select(func.count()).select_from(KbArticle).where(*where))
            rows = session.scalars(
                select(KbArticle)
                .outerjoin(KbViewCount)
                .where(*where)
                .order_by(*_SORTS[values.sort])
                .limit(values.per_page)
                .offset((values.page - 1) * values.per_page)
                .options(*summary_options())
            ).all()
            return Page[KbArticleSummary](
                items=[summary(r) for r in rows],
                total=int(total or 0),
                page=values.page,
                per_page=values.per_page,
            )

    def preview(self, actor: Actor, body: str) -> str:
        """The HTML a body would show, without saving anything (the editor's preview)."""
        require_writer(actor)
        return render_article(body)

    def url(self, article: KbArticleSummary) -> str:
        """The full address of an article's page in the customer portal ("" without a
        category: a draft not yet filed has no page)."""
        return article_url(self.settings, article.path) if article.path else ""

    def link(self, actor: Actor, article_id: int) -> str:
        """A Markdown link to a published article, for an agent's reply: `[Title](url)`."""
        require_writer(actor)
        with self.reading() as uow:
            row = _load(uow.session, actor, article_id)
            if row.status is not ArticleStatus.PUBLISHED:
                raise InvalidInput("only a published article can be linked", field="article")
            target = self.url(summary(row))
            title = row.title.replace("[", "\\[").replace("]", "\\]")
            return f"[{title}]({target})"

    # ------------------------------------------------------------ internals

    def _create(self, session: Session, actor: Actor, values: KbArticleCreate) -> KbArticle:
        now = self.helpdesk.clock.now()
        category = find_category(session, values.category) if values.category else None
        published = values.status == "published"
        if published and category is None:
            raise InvalidInput("a published article needs a category", field="category")
        category_id = category.id if category is not None else None
        row = KbArticle(
            category=category,
            title=values.title,
            slug=_free_slug(
                session, category_id, values.slug or values.title, strict=values.slug is not None
            ),
            body=values.body,
            search_text=article_text(values.body),
            status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
            audience=Audience(values.audience),
            author_id=actor.user_id,
            created_at=now,
            updated_at=now,
            published_at=now if published else None,
            tags=[],
            related=[],
            views=KbViewCount(count=0),
        )
        session.add(row)
        _set_tags(row, values.tags)
        _forget_old_address(session, category_id, row.slug)
        _flush(session)
        _set_related(session, row, values.related)
        _flush(session)
        index_article(session, row)
        return row

    def _set_status(self, actor: Actor, article_id: int, status: ArticleStatus) -> KbArticleOut:
        require_writer(actor)
        with self.transaction() as uow:
            row = _load(uow.session, actor, article_id)
            if status is ArticleStatus.PUBLISHED and row.category is None:
                raise InvalidInput("choose a category before publishing", field="category")
            if row.status is not status:
                now = self.helpdesk.clock.now()
                row.status = status
                row.updated_at = now
                if status is ArticleStatus.PUBLISHED and row.published_at is None:
                    row.published_at = now
            return article_out(row)


def _load(session: Session, actor: Actor, article_id: int) -> KbArticle:
    row = session.scalar(
        select(KbArticle)
        .where(KbArticle.id == article_id, article_visibility(actor))
        .options(
            *summary_options(),
            selectinload(KbArticle.related),
            selectinload(KbArticle.author),
        )
    )
    if row is None:
        raise NotFound(f"no article {article_id}")
    return row


def _family(category_id: int) -> Select[int]:
    """A category and its subcategories, as a subquery of ids."""
    return select(KbCategory.id).where(
        (KbCategory.id == category_id) | (KbCategory.parent_id == category_id)
    )


def _free_slug(
    session: Session, category_id: int | None, wanted: str, *, strict: bool, but: int | None = None
) -> str:
    """The slug of an article in a category: `wanted` exactly when `strict` (else
    `InvalidInput`), otherwise a slug made of it, numbered (`-2`, `-3`…) until free."""
    others = select(KbArticle.slug).where(
        KbArticle.category_id == category_id
        if category_id is not None
        else KbArticle.category_id.is_(None)
    )
    if but is not None:
        others = others.where(KbArticle.id != but)
    if strict:
        if session.scalar(others.where(KbArticle.slug == wanted)) is not None:
            raise InvalidInput(
                f"another article in this category has the slug {wanted!r}", field="slug"
            )
        return wanted
    root = slugify(wanted, max_length=SLUG_MAX) or "article"
    taken = set(session.scalars(others.where(KbArticle.slug.like(f"{root}%"))).all())
    slug, n = root, 1
    while slug in taken:
        n += 1
        slug = f"{root}-{n}"
    return slug


def _moved(
    session: Session,
    row: KbArticle,
    category_id: int | None,
    old_category_id: int | None,
    old_slug: str,
) -> None:
    """Keep the old address of a published article leading to it; the new address, if it was
    an old one of some article, now belongs to this one alone."""
    _forget_old_address(session, category_id, row.slug)
    if old_category_id is None or row.published_at is None:
        return
    _forget_old_address(session, old_category_id, old_slug)
    session.add(KbOldSlug(article_id=row.id, category_id=old_category_id, slug=old_slug))


def _forget_old_address(session: Session, category_id: int | None, slug: str) -> None:
    if category_id is not None:
        session.execute(
            delete(KbOldSlug).where(KbOldSlug.category_id == category_id, KbOldSlug.slug == slug)
        )


def _set_tags(row: KbArticle, tags: builtins.list[str]) -> None:
    kept = {t.tag: t for t in row.tags}
    row.tags = [kept.get(tag) or KbArticleTag(tag=tag) for tag in tags]


def _set_related(session: Session, row: KbArticle, ids: builtins.list[int]) -> None:
    wanted = list(dict.fromkeys(ids))
    if row.id in wanted:
        raise InvalidInput("an article is not related to itself", field="related")
    found = set(session.scalars(select(KbArticle.id).where(KbArticle.id.in_(wanted))).all())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise InvalidInput(f"unknown articles: {missing}", field="related")
    kept = {r.related_id: r for r in row.related}
    links = []
    for position, related_id in enumerate(wanted):
        link = kept.get(related_id) or KbRelated(related_id=related_id)
        link.position = position
        links.append(link)
    row.related = links


def _flush(session: Session) -> None:
    """Flush, reporting a slug taken by a concurrent request as the form error it is."""
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("another article in this category has this slug", field="slug") from None
