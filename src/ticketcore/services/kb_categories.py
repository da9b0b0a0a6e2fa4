"""Knowledge-base categories: a top level and one level of subcategories below it."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from slugify import slugify
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..models import ArticleStatus, KbArticle, KbCategory
from ..permissions import Actor, article_visibility, may_write_articles
from ..schemas import parse
from ..schemas_kb import KbCategoryCreate, KbCategoryOut, KbCategoryUpdate
from .base import Service
from .kb_snapshots import category_order, category_out, category_tree

SLUG_MAX = 180


def find_category(session: Session, ref: int | str, field: str = "category") -> KbCategory:
    """A category by id or slug; `InvalidInput` on `field` when there is none."""
    if isinstance(ref, int) or ref.strip().isdigit():
        row = session.get(KbCategory, int(ref))
    else:
        row = session.scalar(select(KbCategory).where(KbCategory.slug == ref.strip().lower()))
    if row is None:
        raise InvalidInput(f"unknown category {ref!r}", field=field)
    return row


def require_writer(actor: Actor) -> None:
    if not may_write_articles(actor):
        raise PermissionDenied("only agents and admins write the knowledge base")


def listed(actor: Actor) -> ColumnElement[bool]:
    """Articles the portal lists for `actor`: published ones they may read (staff open their
    drafts by address or in the agent portal, never among the published)."""
    return article_visibility(actor) & (KbArticle.status == ArticleStatus.PUBLISHED)


def article_counts(session: Session, actor: Actor) -> dict[int, int]:
    """Per category, the articles it lists for `actor` (not counting its subcategories')."""
    rows = session.execute(
        select(KbArticle.category_id, func.count())
        .where(listed(actor), KbArticle.category_id.is_not(None))
        .group_by(KbArticle.category_id)
    )
    return {category_id: count for category_id, count in rows if category_id is not None}


class KbCategoryService(Service):
    def create(
        self,
        actor: Actor,
        data: KbCategoryCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbCategoryOut:
        require_writer(actor)
        values = parse(KbCategoryCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            now = self.helpdesk.clock.now()
            row = KbCategory(
                name=values.name,
                slug=_free_slug(session, values.slug, values.name),
                description=values.description,
                parent=_parent(session, values.parent),
                position=values.position,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            _flush_unique_slug(session)
            return self._out(session, actor, row)

    def update(
        self,
        actor: Actor,
        category: int | str,
        data: KbCategoryUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> KbCategoryOut:
        """Change the fields given; `parent=None` makes it a top category. A new slug changes
        the addresses of its articles: their old ones still lead to them (by article slug)."""
        require_writer(actor)
        values = parse(KbCategoryUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            row = _load(session, category)
            if values.name is not None:
                row.name = values.name
            if values.slug is not None and values.slug != row.slug:
                row.slug = _free_slug(session, values.slug, row.name, but=row.id)
            if values.description is not None:
                row.description = values.description
            if values.position is not None:
                row.position = values.position
            if "parent" in given:
                parent = _parent(session, values.parent)
                if parent is not None and parent.id == row.id:
                    raise InvalidInput("a category cannot be its own parent", field="parent")
                if parent is not None and _has_children(session, row.id):
                    raise InvalidInput(
                        "a category with subcategories stays at the top", field="parent"
                    )
                row.parent = parent
            row.updated_at = self.helpdesk.clock.now()
            _flush_unique_slug(session)
            return self._out(session, actor, row)

    def delete(self, actor: Actor, category: int | str) -> None:
        """Remove an empty category; one with articles or subcategories is a `Conflict`."""
        require_writer(actor)
        with self.transaction() as uow:
            session = uow.session
            row = _load(session, category)
            if _has_children(session, row.id):
                raise Conflict(f"category {row.name!r} has subcategories: move them first")
            has_articles = session.scalar(
                select(KbArticle.id).where(KbArticle.category_id == row.id).limit(1)
            )
            if has_articles is not None:
                raise Conflict(f"category {row.name!r} has articles: move or delete them first")
            session.delete(row)

    def get(self, actor: Actor, category: int | str) -> KbCategoryOut:
        """A category with its subcategories and how many articles each lists for `actor`."""
        with self.reading() as uow:
            return self._out(uow.session, actor, _load(uow.session, category))

    def list(self, actor: Actor) -> builtins.list[KbCategoryOut]:
        """Top categories, each with its subcategories, by position then name."""
        with self.reading() as uow:
            session = uow.session
            rows = session.scalars(select(KbCategory)).all()
            return category_tree(rows, article_counts(session, actor))

    def _out(self, session: Session, actor: Actor, row: KbCategory) -> KbCategoryOut:
        session.flush()
        counts = article_counts(session, actor)
        children = session.scalars(select(KbCategory).where(KbCategory.parent_id == row.id))
        kids = [category_out(c, counts) for c in sorted(children, key=category_order)]
        return category_out(row, counts, kids)


def _load(session: Session, ref: int | str) -> KbCategory:
    try:
        return find_category(session, ref)
    except InvalidInput:
        raise NotFound(f"no category {ref!r}") from None


def _parent(session: Session, ref: int | str | None) -> KbCategory | None:
    if ref in (None, ""):
        return None
    assert ref is not None
    parent = find_category(session, ref, field="parent")
    if parent.parent_id is not None:
        raise InvalidInput("categories nest one level: choose a top category", field="parent")
    return parent


def _has_children(session: Session, category_id: int) -> bool:
    child = session.scalar(
        select(KbCategory.id).where(KbCategory.parent_id == category_id).limit(1)
    )
    return child is not None


def _free_slug(session: Session, wanted: str | None, name: str, *, but: int | None = None) -> str:
    """`wanted` if no other category has it, else `InvalidInput`; without one, a slug made
    from `name` (`name`, `name-2`, … whichever is free)."""
    others = select(KbCategory.slug)
    if but is not None:
        others = others.where(KbCategory.id != but)
    if wanted is not None:
        if session.scalar(others.where(KbCategory.slug == wanted)) is not None:
            raise InvalidInput(f"another category has the slug {wanted!r}", field="slug")
        return wanted
    root = slugify(name, max_length=SLUG_MAX) or "category"
    taken = set(session.scalars(others.where(KbCategory.slug.like(f"{root}%"))).all())
    slug, n = root, 1
    while slug in taken:
        n += 1
        slug = f"{root}-{n}"
    return slug


def _flush_unique_slug(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("another category has this slug", field="slug") from None
