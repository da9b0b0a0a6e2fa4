"""The knowledge base in the agent portal: the articles with how readers rated them, the editor,
the categories, and the two bridges from tickets — a Markdown link to paste into a reply, and a
draft made from a good answer.

The editor's "Preview" re-renders the form with the HTML the core would show, nothing saved, so
an agent checks the Markdown without a script and without a half-finished draft appearing.
"""

from __future__ import annotations

from typing import Any

from ....errors import Conflict, InvalidInput
from ....schemas_kb import KbArticleOut, KbCategoryOut
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

LIST_TEMPLATE = "ticketcore/agent/kb/articles.html"
FORM_TEMPLATE = "ticketcore/agent/kb/article_form.html"
CATEGORIES_TEMPLATE = "ticketcore/agent/kb/categories.html"
CATEGORY_TEMPLATE = "ticketcore/agent/kb/category_form.html"
ARTICLE_FIELDS = ("title", "category", "slug", "audience", "tags", "body", "related")
CATEGORY_FIELDS = ("name", "slug", "description", "parent", "position")
STATUSES = ("draft", "published", "archived")
PER_PAGE = 25
RELATED_CHOICES = 100  # articles offered as related in the editor


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/kb"
    router.add(base, "agent.kb.articles", articles)
    router.add(f"{base}/new", "agent.kb.new", new)
    router.add(f"{base}/new", "agent.kb.create", create, methods=("POST",))
    router.add(f"{base}/<int:article_id>", "agent.kb.edit", edit)
    router.add(f"{base}/<int:article_id>", "agent.kb.update", update, methods=("POST",))
    router.add(f"{base}/categories", "agent.kb.categories", categories)
    router.add(f"{base}/categories", "agent.kb.category_create", category_create, methods=("POST",))
    router.add(f"{base}/categories/<int:category_id>", "agent.kb.category_edit", category_edit)
    router.add(
        f"{base}/categories/<int:category_id>",
        "agent.kb.category_update",
        category_update,
        methods=("POST",),
    )
    router.add(
        f"{base}/categories/<int:category_id>/delete",
        "agent.kb.category_delete",
        category_delete,
        methods=("POST",),
    )
    router.add(
        f"{prefix}/tickets/<track_id>/messages/<int:message_id>/article",
        "agent.kb.from_message",
        from_message,
        methods=("POST",),
    )


# ------------------------------------------------------------------ articles


def articles(ctx: RequestContext) -> Response:
    """Every article with its views and votes; filtered by status and category."""
    kb = ctx.helpdesk.kb
    query = ctx.request.query
    status = query.get("status") if query.get("status") in STATUSES else None
    category = query.get("category") if query.get("category").isdigit() else None
    page_text = query.get("page")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 else 1
    result = kb.articles.list(
        ctx.actor,
        status=status,
        category=int(category) if category else None,
        sort="updated",
        page=page,
        per_page=PER_PAGE,
    )
    shown = [article.id for article in result.items]
    stats = {s.article_id: s for s in kb.votes.stats(ctx.actor, article_ids=shown, limit=PER_PAGE)}

    def link(number: int) -> str:
        return ctx.url(
            "agent.kb.articles",
            status=status,
            category=category,
            page=number if number > 1 else None,
        )

    return ctx.render(
        LIST_TEMPLATE,
        result=result,
        stats=stats,
        filters=Form({"status": status or "", "category": category or ""}),
        status_options=[("", _("Any status")), *_status_options()],
        category_options=[("", _("Any category")), *_category_options(ctx)],
        status_labels=dict(_status_options()),
        pager={
            "page": result.page,
            "pages": result.pages,
            "previous_url": link(result.page - 1) if result.page > 1 else None,
            "next_url": link(result.page + 1) if result.page < result.pages else None,
        },
    )


def new(ctx: RequestContext) -> Response:
    return _render_form(ctx, ctx.form(audience="public"), None)


def create(ctx: RequestContext) -> Response:
    form = ctx.form()
    values = _read(ctx, form)
    action = ctx.request.form.get("action")
    if action == "preview":
        return _render_form(ctx, form, None, preview=True)
    if not form.ok:
        return _render_form(ctx, form, None, status=400)
    try:
        saved = ctx.helpdesk.kb.articles.create(
            ctx.actor, **values, status="published" if action == "publish" else "draft"
        )
    except InvalidInput as exc:
        form.absorb(exc, shown=ARTICLE_FIELDS)
        return _render_form(ctx, form, None, status=400)
    return _saved(ctx, saved, action)


def edit(ctx: RequestContext, article_id: int) -> Response:
    article = ctx.helpdesk.kb.articles.get(ctx.actor, article_id)
    form = Form(
        {
            "title": article.title,
            "category": str(article.category_id or ""),
            "slug": article.slug,
            "audience": article.audience,
            "tags": ", ".join(article.tags),
            "body": article.body,
        }
    )
    return _render_form(ctx, form, article, related=[str(i) for i in article.related_ids])


def update(ctx: RequestContext, article_id: int) -> Response:
    """Save, then change the status the button asked for; a refused change (publishing without
    a category) comes back in the form with the text saved so far."""
    articles_ = ctx.helpdesk.kb.articles
    article = articles_.get(ctx.actor, article_id)  # NotFound before the form is read
    form = ctx.form()
    values = _read(ctx, form)
    action = ctx.request.form.get("action")
    if action == "preview":
        return _render_form(ctx, form, article, preview=True)
    if not form.ok:
        return _render_form(ctx, form, article, status=400)
    try:
        saved = articles_.update(ctx.actor, article.id, **values)
        change = {
            "publish": articles_.publish,
            "archive": articles_.archive,
            "unpublish": articles_.unpublish,
        }.get(action)
        if change is not None:
            saved = change(ctx.actor, article.id)
    except InvalidInput as exc:
        form.absorb(exc, shown=ARTICLE_FIELDS)
        return _render_form(ctx, form, articles_.get(ctx.actor, article.id), status=400)
    return _saved(ctx, saved, action)


def _saved(ctx: RequestContext, article: KbArticleOut, action: str) -> Response:
    messages = {
        "publish": _("Article “%(title)s” published.", title=article.title),
        "archive": _("Article “%(title)s” archived.", title=article.title),
        "unpublish": _("Article “%(title)s” is a draft again.", title=article.title),
    }
    ctx.flash(messages.get(action, _("Article “%(title)s” saved.", title=article.title)))
    return ctx.redirect("agent.kb.edit", article_id=article.id)


def _read(ctx: RequestContext, form: Form) -> dict[str, Any]:
    """What the core takes, or errors in `form` for what the core would reject unclearly."""
    if not form["title"].strip():
        form.error("title", _("Give the article a title."))
    category = form["category"].strip()
    related = [int(v) for v in ctx.request.form.getlist("related") if v.isdigit()]
    values: dict[str, Any] = {
        "title": form["title"].strip(),
        "body": form["body"],
        "category": int(category) if category.isdigit() else None,
        "audience": form["audience"] if form["audience"] in ("public", "customers") else "public",
        "tags": [t for t in form["tags"].split(",") if t.strip()],
        "related": related,
    }
    if form["slug"].strip():
        values["slug"] = form["slug"].strip()
    return values


def _render_form(
    ctx: RequestContext,
    form: Form,
    article: KbArticleOut | None,
    *,
    status: int = 200,
    preview: bool = False,
    related: list[str] | None = None,
) -> Response:
    kb = ctx.helpdesk.kb
    chosen = related if related is not None else ctx.request.form.getlist("related")
    others = kb.articles.list(ctx.actor, sort="title", per_page=RELATED_CHOICES).items
    return ctx.render(
        FORM_TEMPLATE,
        status=status,
        form=form,
        article=article,
        preview_html=kb.articles.preview(ctx.actor, form["body"]) if preview else None,
        category_options=[("", _("No category (drafts only)")), *_category_options(ctx)],
        audience_options=[
            ("public", _("Everyone")),
            ("customers", _("Logged-in customers only")),
        ],
        related_options=[
            (str(a.id), a.title) for a in others if article is None or a.id != article.id
        ],
        related_chosen=set(chosen),
        stats=kb.votes.stats(ctx.actor, article_id=article.id) if article else [],
        comments=kb.votes.comments(ctx.actor, article.id, limit=20) if article else [],
        public_url=kb.url(article) if article and article.status == "published" else "",
        status_labels=dict(_status_options()),
    )


def _status_options() -> list[tuple[str, str]]:
    return [("draft", _("Draft")), ("published", _("Published")), ("archived", _("Archived"))]


def _category_options(ctx: RequestContext) -> list[tuple[str, str]]:
    """Top categories, each followed by its subcategories (marked so the nesting shows)."""
    options: list[tuple[str, str]] = []
    for top in ctx.helpdesk.kb.categories.list(ctx.actor):
        options.append((str(top.id), top.name))
        options += [(str(c.id), f"— {c.name}") for c in top.children]
    return options


# ------------------------------------------------------------------ categories


def categories(ctx: RequestContext) -> Response:
    return _render_categories(ctx, Form({"position": "0"}))


def category_create(ctx: RequestContext) -> Response:
    form = ctx.form()
    values = _read_category(form)
    if form.ok:
        try:
            saved = ctx.helpdesk.kb.categories.create(ctx.actor, **values)
        except InvalidInput as exc:
            form.absorb(exc, shown=CATEGORY_FIELDS)
        else:
            ctx.flash(_("Category “%(name)s” created.", name=saved.name))
            return ctx.redirect("agent.kb.categories")
    return _render_categories(ctx, form, status=400)


def category_edit(ctx: RequestContext, category_id: int) -> Response:
    category = ctx.helpdesk.kb.categories.get(ctx.actor, category_id)
    return _render_category(ctx, _category_form(category), category)


def category_update(ctx: RequestContext, category_id: int) -> Response:
    kb_categories = ctx.helpdesk.kb.categories
    category = kb_categories.get(ctx.actor, category_id)
    form = ctx.form()
    values = _read_category(form)
    if form.ok:
        try:
            saved = kb_categories.update(ctx.actor, category.id, **values)
        except InvalidInput as exc:
            form.absorb(exc, shown=CATEGORY_FIELDS)
        else:
            ctx.flash(_("Category “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.kb.categories")
    return _render_category(ctx, form, category, status=400)


def category_delete(ctx: RequestContext, category_id: int) -> Response:
    """Only an empty category goes; otherwise the core says what is still in it."""
    kb_categories = ctx.helpdesk.kb.categories
    category = kb_categories.get(ctx.actor, category_id)
    try:
        kb_categories.delete(ctx.actor, category.id)
    except Conflict as exc:
        form = Form()
        form.error("", str(exc))
        return _render_category(ctx, _category_form(category), category, status=409, problem=form)
    ctx.flash(_("Category “%(name)s” deleted.", name=category.name))
    return ctx.redirect("agent.kb.categories")


def _category_form(category: KbCategoryOut) -> Form:
    return Form(
        {
            "name": category.name,
            "slug": category.slug,
            "description": category.description,
            "parent": str(category.parent_id or ""),
            "position": str(category.position),
        }
    )


def _read_category(form: Form) -> dict[str, Any]:
    if not form["name"].strip():
        form.error("name", _("Give the category a name."))
    position = form["position"].strip()
    if position and not position.lstrip("-").isdigit():
        form.error("position", _("Enter a whole number."))
    parent = form["parent"].strip()
    values: dict[str, Any] = {
        "name": form["name"].strip(),
        "description": form["description"],
        "parent": int(parent) if parent.isdigit() else None,
        "position": int(position) if position.lstrip("-").isdigit() else 0,
    }
    if form["slug"].strip():
        values["slug"] = form["slug"].strip()
    return values


def _render_categories(ctx: RequestContext, form: Form, status: int = 200) -> Response:
    tree = ctx.helpdesk.kb.categories.list(ctx.actor)
    return ctx.render(
        CATEGORIES_TEMPLATE,
        status=status,
        tree=tree,
        form=form,
        parent_options=[("", _("None (a top category)"))] + [(str(c.id), c.name) for c in tree],
    )


def _render_category(
    ctx: RequestContext,
    form: Form,
    category: KbCategoryOut,
    *,
    status: int = 200,
    problem: Form | None = None,
) -> Response:
    tree = ctx.helpdesk.kb.categories.list(ctx.actor)
    return ctx.render(
        CATEGORY_TEMPLATE,
        status=status,
        form=form,
        category=category,
        problem=problem or Form(),
        parent_options=[("", _("None (a top category)"))]
        + [(str(c.id), c.name) for c in tree if c.id != category.id],
    )


# ------------------------------------------------------------------ from tickets


def from_message(ctx: RequestContext, track_id: str, message_id: int) -> Response:
    """A good answer becomes a draft to edit; the ticket must be one this agent may see."""
    ctx.helpdesk.tickets.get_by_track_id(ctx.actor, track_id)
    draft = ctx.helpdesk.kb.articles.from_message(ctx.actor, message_id)
    ctx.flash(_("Draft made from the answer: edit it, choose a category and publish."))
    return ctx.redirect("agent.kb.edit", article_id=draft.id)


def link_choices(ctx: RequestContext, query: str) -> list[tuple[str, str]]:
    """Published articles matching `query` with the Markdown link an agent pastes into a reply
    (the ticket page lists them; portal.js inserts one with a click)."""
    if not query.strip():
        return []
    kb = ctx.helpdesk.kb
    hits = kb.search(ctx.actor, query, per_page=8, published_only=True).hits
    return [(h.article.title, kb.articles.link(ctx.actor, h.article.id)) for h in hits]
