"""Ticket lists: the customer's own (and their organization's), and the public tickets.

Query values come from links people share and edit, so a value that makes no sense falls back
to its default instead of failing: a list page never answers 500 or 400 for `?page=abc`.
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from ...schemas import Page, TicketSummary
from ...workflow import StatusGroup
from ..context import RequestContext
from ..http import Response
from ..routing import Router
from ..templating import gettext_ as _

PER_PAGE = 20
SHOW = {
    "active": StatusGroup.ACTIVE,
    "waiting": StatusGroup.WAITING_ON_YOU,
    "closed": StatusGroup.CLOSED,
    "all": None,
}
SORTS = ("last_reply", "created")


def register(router: Router) -> None:
    router.add("/tickets", "tickets.list", my_tickets)
    router.add("/public", "tickets.public", public_tickets)


def _choice(value: str, allowed: Any, default: str) -> str:
    return value if value in allowed else default


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) <= 100_000 else 1


def _search_text(value: str) -> str:
    return value.strip()[:200]


def _fetch(ctx: RequestContext, query: dict[str, Any]) -> Page[TicketSummary]:
    """One page of tickets; past the last page (an old link) shows the last page instead."""
    tickets = ctx.helpdesk.tickets
    result = tickets.list(ctx.actor, per_page=PER_PAGE, **query)
    if result.page > result.pages:
        result = tickets.list(ctx.actor, per_page=PER_PAGE, **{**query, "page": result.pages})
    return result


def _pager(
    ctx: RequestContext, name: str, result: Page[TicketSummary], **params: Any
) -> dict[str, Any]:
    """Links to the neighbouring pages, keeping the filters."""

    def link(page: int) -> str:
        return ctx.url(name, **params, page=page if page > 1 else None)

    return {
        "page": result.page,
        "pages": result.pages,
        "previous_url": link(result.page - 1) if result.page > 1 else None,
        "next_url": link(result.page + 1) if result.page < result.pages else None,
    }


# ------------------------------------------------------------------ my tickets


def my_tickets(ctx: RequestContext) -> Response:
    """The customer's tickets by status group, searchable, newest activity first."""
    ctx.require_login()
    query = ctx.request.query
    settings = ctx.helpdesk.settings
    may_view_org = (
        settings.organization_visibility != "none" and ctx.actor.organization_id is not None
    )
    show = _choice(query.get("show"), SHOW, "active")
    sort = _choice(query.get("sort"), SORTS, "last_reply")
    view = _choice(query.get("view"), ("mine", "organization") if may_view_org else (), "mine")
    text = _search_text(query.get("q"))
    scope = "organization" if view == "organization" else "mine"
    result = _fetch(
        ctx,
        {
            "scope": scope,
            "status_group": SHOW[show],
            "text": text,
            "sort": sort,
            "page": _page_number(query.get("page")),
        },
    )
    counts = ctx.helpdesk.tickets.counts(ctx.actor, scope=scope, text=text)
    # Defaults stay out of the links, so the plain list keeps its plain address.
    kept = {
        "show": show if show != "active" else None,
        "sort": sort if sort != "last_reply" else None,
        "view": view if view != "mine" else None,
        "q": text or None,
    }
    here = ctx.url("tickets.list", **kept, page=result.page if result.page > 1 else None)
    tabs = [
        (key, label, counts.total if group is None else counts.by_group.get(group, 0))
        for key, group, label in (
            ("active", SHOW["active"], _("Active")),
            ("waiting", SHOW["waiting"], _("Waiting on you")),
            ("closed", SHOW["closed"], _("Closed")),
            ("all", SHOW["all"], _("All")),
        )
    ]
    return ctx.render(
        "ticketcore/customer/tickets.html",
        result=result,
        tickets=result.items,
        show=show,
        sort=sort,
        view=view,
        q=text,
        may_view_org=may_view_org,
        tabs=[
            (
                key,
                label,
                n,
                ctx.url("tickets.list", **{**kept, "show": key if key != "active" else None}),
            )
            for key, label, n in tabs
        ],
        views=[
            (
                key,
                label,
                ctx.url("tickets.list", **{**kept, "view": key if key != "mine" else None}),
            )
            for key, label in (("mine", _("Mine")), ("organization", _("My organization")))
        ],
        sort_options=[("last_reply", _("Last reply")), ("created", _("Created"))],
        reply_urls={t.track_id: _reply_url(ctx, t.track_id) for t in result.items},
        here=here,
        pager=_pager(ctx, "tickets.list", result, **kept),
    )


def _reply_url(ctx: RequestContext, track_id: str) -> str | None:
    """Where a quick reply posts; None while the site has no reply route."""
    try:
        return ctx.url("tickets.reply", track_id=track_id)
    except KeyError:
        return None


# ------------------------------------------------------------------ public tickets


def public_tickets(ctx: RequestContext) -> Response:
    """Tickets their requesters made public, readable by anyone (requester emails never shown)."""
    if not ctx.helpdesk.settings.public_tickets:
        raise NotFound("public tickets are switched off")
    query = ctx.request.query
    text = _search_text(query.get("q"))
    result = _fetch(ctx, {"scope": "public", "text": text, "page": _page_number(query.get("page"))})
    return ctx.render(
        "ticketcore/customer/public_tickets.html",
        result=result,
        tickets=result.items,
        q=text,
        pager=_pager(ctx, "tickets.public", result, q=text or None),
    )
