"""The knowledge base in the customer portal: home, categories, articles, search, votes, and the
suggestions the new-ticket form shows while a subject is typed.

What a visitor may read is decided by the core (`helpdesk.kb` raises `NotFound` for drafts,
archived articles and customers-only articles shown to strangers), so these views only shape
pages. Anonymous visitors are told apart by a random key kept in their session: it makes a
vote count once per browser and ties an opened suggestion to the ticket opened afterwards.
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Any
from urllib.parse import urlencode

from ...schemas_kb import KbArticleOut
from ..context import RequestContext
from ..http import Response, redirect
from ..routing import Router

VISITOR_KEY = "tc_kb_visitor"
VOTED_KEY = "tc_kb_voted"
SUGGESTED_KEY = "tc_kb_suggested"  # a suggestion was opened: a new ticket will be a conversion
VOTES_REMEMBERED = 50  # articles whose thanks this browser remembers; the cookie stays small
SEARCH_PER_PAGE = 10
TICKETS_SHOWN = 5  # of the customer's own tickets above the articles; the rest via their list
FROM_NEW_TICKET = "new-ticket"


def register(router: Router) -> None:
    router.add("/kb", "kb.home", kb_home)
    router.add("/kb/search", "kb.search", search)
    router.add("/kb/suggest", "kb.suggest", suggest)
    router.add("/kb/<category_slug>", "kb.category", category)
    router.add("/kb/<category_slug>/<article_slug>", "kb.article", article)
    router.add("/kb/<category_slug>/<article_slug>/vote", "kb.vote", vote, methods=("POST",))


def visitor_key(ctx: RequestContext) -> str:
    """This browser's key, made on first use (a new value, so every framework saves it)."""
    key = ctx.session.get(VISITOR_KEY)
    if not isinstance(key, str) or not key:
        key = secrets.token_urlsafe(18)
        ctx.session[VISITOR_KEY] = key
    return key


def suggestion_url(ctx: RequestContext, path: str, subject: str) -> str:
    """An article offered on the new-ticket page: the marks let its page record the opening."""
    marks = urlencode({"from": FROM_NEW_TICKET, "subject": subject[:200]})
    return f"{ctx.request.script_root}{path}?{marks}"


# ------------------------------------------------------------------ pages


def kb_home(ctx: RequestContext) -> Response:
    return ctx.render("ticketcore/kb/home.html", kb=ctx.helpdesk.kb.home(ctx.actor))


def category(ctx: RequestContext, category_slug: str) -> Response:
    return ctx.render(
        "ticketcore/kb/category.html", page=ctx.helpdesk.kb.category(ctx.actor, category_slug)
    )


def article(ctx: RequestContext, category_slug: str, article_slug: str) -> Response:
    """An article; reached by an old address it moves permanently to the new one (keeping the
    query, so a suggestion opened through an old link is still recorded)."""
    query = ctx.request.query
    kb = ctx.helpdesk.kb
    page = kb.article(ctx.actor, category_slug, article_slug)
    if page.moved:
        target = ctx.request.script_root + page.article.path
        if query.to_dict():
            target += "?" + urlencode(query.to_dict())
        return redirect(target, status=301)
    if query.get("from") == FROM_NEW_TICKET:
        kb.deflection.opened(
            ctx.actor,
            article_id=page.article.id,
            visitor_key=visitor_key(ctx),
            subject=query.get("subject")[:200],
        )
        ctx.session[SUGGESTED_KEY] = True
    voted = ctx.session.get(VOTED_KEY)
    return ctx.render(
        "ticketcore/kb/article.html",
        page=page,
        voted=isinstance(voted, list) and page.article.id in voted,
        vote_url=_vote_url(ctx, page.article),
    )


def vote(ctx: RequestContext, category_slug: str, article_slug: str) -> Response:
    """ "Was this helpful?": the first answer of a visitor counts, any later one just thanks."""
    kb = ctx.helpdesk.kb
    page = kb.article(ctx.actor, category_slug, article_slug, count_view=False)
    form = ctx.request.form
    helpful = form.get("helpful") == "yes"
    kb.votes.vote(
        ctx.actor,
        page.article.id,
        helpful=helpful,
        comment=None if helpful else form.get("comment").strip()[:2000] or None,
        visitor_key=visitor_key(ctx),
    )
    voted = ctx.session.get(VOTED_KEY)
    kept = [i for i in (voted if isinstance(voted, list) else []) if i != page.article.id]
    ctx.session[VOTED_KEY] = [*kept, page.article.id][-VOTES_REMEMBERED:]
    return redirect(ctx.request.script_root + page.article.path + "#feedback")


def _vote_url(ctx: RequestContext, article: KbArticleOut) -> str:
    return ctx.url("kb.vote", category_slug=article.category_slug or "", article_slug=article.slug)


def search(ctx: RequestContext) -> Response:
    query = ctx.request.query.get("q")[:500]
    page_text = ctx.request.query.get("page")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 else 1
    values: dict[str, Any] = {"query": query, "results": None, "pager": None, "tickets": None}
    if query.strip() and ctx.is_customer:  # the portal's one search box covers both
        values["tickets"] = ctx.helpdesk.tickets.list(
            ctx.actor, scope="mine", text=query.strip()[:200], per_page=TICKETS_SHOWN
        )
    if query.strip():
        results = ctx.helpdesk.kb.search(
            ctx.actor, query, page=max(page, 1), per_page=SEARCH_PER_PAGE, published_only=True
        )
        pages = max(1, math.ceil(results.total / results.per_page))

        def link(number: int) -> str:
            return ctx.url("kb.search", q=query, page=number if number > 1 else None)

        values["results"] = results
        values["pager"] = {
            "page": results.page,
            "pages": pages,
            "previous_url": link(results.page - 1) if results.page > 1 else None,
            "next_url": link(results.page + 1) if results.page < pages else None,
        }
    return ctx.render("ticketcore/kb/search.html", **values)


def suggest(ctx: RequestContext) -> Response:
    """Articles for the subject being typed on the new-ticket page, as JSON for portal.js."""
    body = suggestions(ctx, ctx.request.query.get("q"))
    return Response(json.dumps(body).encode(), content_type="application/json")


def suggestions(ctx: RequestContext, subject: str) -> list[dict[str, str]]:
    """Published articles the visitor may read for a ticket subject, with addresses that
    record the opening; the same list for portal.js and for the form without it."""
    subject = subject[:200]
    if not subject.strip():
        return []
    return [
        {"title": hit.article.title, "url": suggestion_url(ctx, hit.article.path, subject)}
        for hit in ctx.helpdesk.kb.suggest(ctx.actor, subject)
        if hit.article.path
    ]
