"""Queues: the agent's ticket lists, with filters, sort, pagination, bulk changes and the
views an agent saved.

Like the customer lists, every value comes from a link people edit or share, so a value that
makes no sense is dropped instead of failing the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ....errors import InvalidInput, NotFound
from ....permissions import ActorKind
from ....workflow import Priority, Status, StatusGroup
from ...context import RequestContext
from ...http import Params, Response, redirect
from ...routing import Router
from ...templating import gettext_ as _
from ..tickets import _page_number

PER_PAGE = 25
SORTS = ("last_reply", "created", "priority", "due")
SLA_STATES = ("on_track", "at_risk", "breached")
BULK_ACTIONS = ("assign", "status", "priority", "team", "close")
# The query-string keys a queue understands; a saved view keeps exactly these.
FILTER_KEYS = (
    "view",
    "status",
    "priority",
    "team",
    "assignee",
    "organization",
    "requester",
    "sla",
    "from",
    "to",
    "q",
    "sort",
    "order",
)


def register(router: Router, prefix: str) -> None:
    router.add(f"{prefix}/queue", "agent.queue", queue)
    router.add(f"{prefix}/queue/bulk", "agent.bulk", bulk, methods=("POST",))
    router.add(f"{prefix}/views", "agent.views_save", save_view, methods=("POST",))
    router.add(
        f"{prefix}/views/<int:view_id>/delete", "agent.views_delete", delete_view, methods=("POST",)
    )


def views(ctx: RequestContext) -> list[tuple[str, str]]:
    """The fixed queues, in the order agents meet them."""
    named = [
        ("mine", _("Mine")),
        ("unassigned", _("Unassigned")),
        ("teams", _("My teams")),
        ("sla", _("At risk / breached")),
        ("waiting", _("Waiting on customer")),
        ("closed", _("Closed")),
        ("conversations", _("Conversations")),
    ]
    if ctx.actor.kind in (ActorKind.ADMIN, ActorKind.SYSTEM):
        named.insert(3, ("all", _("All")))
    return named


def _view_query(view: str) -> dict[str, Any]:
    active = StatusGroup.ACTIVE
    queries: dict[str, dict[str, Any]] = {
        "mine": {"assignee": "me", "status_group": active},
        "unassigned": {"assignee": "none", "status_group": active},
        "teams": {"scope": "my_teams", "status_group": active},
        "all": {},
        "sla": {"sla_state": ["at_risk", "breached"], "status_group": active},
        "waiting": {"status_group": StatusGroup.WAITING_ON_YOU},
        "closed": {"status_group": StatusGroup.CLOSED},
        "conversations": {"kind": "conversation"},
    }
    return queries[view]


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filters(ctx: RequestContext, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the form shows, the `TicketQuery` fields) from a query string; nonsense is dropped."""
    allowed_views = [key for key, _label in views(ctx)]
    shown: dict[str, Any] = {}
    view = params.get("view")
    shown["view"] = view if view in allowed_views else "mine"
    query: dict[str, Any] = dict(_view_query(shown["view"]))

    statuses = [s for s in params.getlist("status") if s in Status.__members__.values()]
    if statuses:
        shown["status"] = statuses
        query.pop("status_group", None)
        query["status"] = statuses
    priorities = [p for p in params.getlist("priority") if p in {x.name.lower() for x in Priority}]
    if priorities:
        shown["priority"] = priorities
        query["priority"] = priorities
    for key in ("team", "organization"):
        number = _int(params.get(key))
        if number is not None:
            shown[key] = str(number)
            query[key] = number
    assignee = params.get("assignee")
    if assignee in ("me", "none") or _int(assignee) is not None:
        shown["assignee"] = assignee
        query["assignee"] = _int(assignee) if assignee.isdigit() else assignee
    requester = params.get("requester").strip()
    if requester:
        shown["requester"] = requester[:320]
        found = (
            ctx.helpdesk.users.find_by_email(requester) if "@" in requester else None
        ) or _requester_by_id(ctx, requester)
        query["requester"] = found.id if found else 0  # an unknown person has no tickets
    sla = [s for s in params.getlist("sla") if s in SLA_STATES]
    if sla:
        shown["sla"] = sla
        query["sla_state"] = sla
    for key, field in (("from", "created_from"), ("to", "created_to")):
        day = _date(params.get(key))
        if day is not None:
            shown[key] = day.isoformat()
            query[field] = day
    text = params.get("q").strip()[:200]
    if text:
        shown["q"] = text
        query["text"] = text
    sort = params.get("sort")
    shown["sort"] = sort if sort in SORTS else "last_reply"
    query["sort"] = shown["sort"]
    # Due dates read soonest first; everything else newest first unless asked otherwise.
    default_order = "asc" if shown["sort"] == "due" else "desc"
    order = params.get("order")
    shown["order"] = order if order in ("asc", "desc") else default_order
    query["descending"] = shown["order"] == "desc"
    return shown, query


def _requester_by_id(ctx: RequestContext, value: str) -> Any:
    number = _int(value)
    if number is None:
        return None
    try:
        return ctx.helpdesk.users.get(number)
    except NotFound:
        return None


def _link_params(shown: dict[str, Any]) -> dict[str, Any]:
    """The filters as link parameters, defaults left out so plain queues keep plain addresses."""
    params = {k: v for k, v in shown.items() if v not in ("", None, [])}
    if params.get("sort") == "last_reply":
        params.pop("sort")
    default_order = "asc" if shown.get("sort") == "due" else "desc"
    if params.get("order") == default_order:
        params.pop("order")
    return params


def queue(ctx: RequestContext) -> Response:
    helpdesk = ctx.helpdesk
    shown, query = parse_filters(ctx, ctx.request.query)
    page = _page_number(ctx.request.query.get("page"))
    tickets = helpdesk.tickets
    result = tickets.list(ctx.actor, per_page=PER_PAGE, page=page, **query)
    if result.page > result.pages:
        result = tickets.list(ctx.actor, per_page=PER_PAGE, page=result.pages, **query)
    kept = _link_params(shown)
    here = ctx.url("agent.queue", **kept, page=result.page if result.page > 1 else None)

    def link(number: int) -> str:
        return ctx.url("agent.queue", **kept, page=number if number > 1 else None)

    return ctx.render(
        "ticketcore/agent/queue.html",
        result=result,
        tickets=result.items,
        shown=shown,
        views=[
            (key, label, ctx.url("agent.queue", view=key if key != "mine" else None))
            for key, label in views(ctx)
        ],
        current_label=dict(views(ctx))[shown["view"]],
        saved_views=helpdesk.saved_views.list(ctx.actor),
        teams=helpdesk.teams.names(),
        agents=helpdesk.users.staff_names(),
        organizations=helpdesk.organizations.names(),
        statuses=list(Status),
        priorities=list(Priority),
        here=here,
        pager={
            "page": result.page,
            "pages": result.pages,
            "previous_url": link(result.page - 1) if result.page > 1 else None,
            "next_url": link(result.page + 1) if result.page < result.pages else None,
        },
    )


# ------------------------------------------------------------------ bulk changes


def bulk(ctx: RequestContext) -> Response:
    """One change to every selected ticket, all or nothing (the core checks each ticket)."""
    form = ctx.request.form
    back = ctx.safe_next(form.get("next"), ctx.url("agent.queue"))
    ids = [n for n in (_int(v) for v in form.getlist("ticket")) if n is not None]
    action = form.get("action")
    if not ids:
        ctx.flash(_("Select at least one ticket."), "error")
        return redirect(back)
    if action not in BULK_ACTIONS:
        ctx.flash(_("Choose what to do with the selected tickets."), "error")
        return redirect(back)
    changes: dict[str, Any]
    if action == "close":
        changes = {"status": Status.CLOSED}
    else:
        value = form.get(action)
        if not value:
            ctx.flash(_("Choose the new value for the selected tickets."), "error")
            return redirect(back)
        changes = {"assignee" if action == "assign" else action: value}
    try:
        changed = ctx.helpdesk.tickets.bulk_update(ctx.actor, ids, **changes)
    except InvalidInput as exc:
        ctx.flash(_("Nothing was changed: %(reason)s", reason=str(exc)), "error")
        return redirect(back)
    ctx.flash(
        _("%(num)s tickets changed.", num=changed) if changed != 1 else _("1 ticket changed."),
        "success",
    )
    return redirect(back)


# ------------------------------------------------------------------ saved views


def save_view(ctx: RequestContext) -> Response:
    form = ctx.request.form
    query = {k: form.getlist(k) for k in FILTER_KEYS if form.getlist(k)}
    flat = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
    try:
        saved = ctx.helpdesk.saved_views.save(ctx.actor, form.get("name").strip(), flat)
    except InvalidInput as exc:
        ctx.flash(_("The view was not saved: %(reason)s", reason=str(exc)), "error")
        return redirect(ctx.url("agent.queue", **flat))
    ctx.flash(_("View “%(name)s” saved.", name=saved.name))
    return redirect(ctx.url("agent.queue", **saved.query))


def delete_view(ctx: RequestContext, view_id: int) -> Response:
    ctx.helpdesk.saved_views.delete(ctx.actor, view_id)
    ctx.flash(_("View deleted."))
    return ctx.redirect("agent.queue")
