"""Canned responses in administration: the replies agents insert from the ticket page.

The placeholders the core fills in are listed beside the body, so an admin writes `{customer_name}`
without looking it up. A team's response is offered to that team's agents only.
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidInput
from ....services.canned import PLACEHOLDERS
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

LIST_TEMPLATE = "ticketcore/agent/admin/canned.html"
FORM_TEMPLATE = "ticketcore/agent/admin/canned_form.html"
FIELDS = ("title", "team", "body")


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/canned"
    router.add(base, "agent.admin.canned", canned_list)
    router.add(f"{base}/new", "agent.admin.canned_new", new)
    router.add(f"{base}/new", "agent.admin.canned_create", create, methods=("POST",))
    router.add(f"{base}/<int:response_id>", "agent.admin.canned_edit", edit)
    router.add(f"{base}/<int:response_id>", "agent.admin.canned_update", update, methods=("POST",))
    router.add(
        f"{base}/<int:response_id>/delete", "agent.admin.canned_delete", delete, methods=("POST",)
    )


def canned_list(ctx: RequestContext) -> Response:
    return ctx.render(LIST_TEMPLATE, responses=ctx.helpdesk.canned.list(ctx.actor))


def new(ctx: RequestContext) -> Response:
    return _render_form(ctx, ctx.form(), None)


def create(ctx: RequestContext) -> Response:
    form = ctx.form()
    values = _read(form)
    if form.ok:
        try:
            saved = ctx.helpdesk.canned.create(ctx.actor, **values)
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Canned response “%(title)s” created.", title=saved.title))
            return ctx.redirect("agent.admin.canned")
    return _render_form(ctx, form, None, status=400)


def edit(ctx: RequestContext, response_id: int) -> Response:
    response = ctx.helpdesk.canned.get(ctx.actor, response_id)
    form = ctx.form(title=response.title, team=response.team_id or "", body=response.body)
    return _render_form(ctx, form, response)


def update(ctx: RequestContext, response_id: int) -> Response:
    canned = ctx.helpdesk.canned
    response = canned.get(ctx.actor, response_id)  # NotFound before the form is read
    form = ctx.form()
    values = _read(form)
    if form.ok:
        try:
            saved = canned.update(ctx.actor, response.id, **values)
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Canned response “%(title)s” saved.", title=saved.title))
            return ctx.redirect("agent.admin.canned")
    return _render_form(ctx, form, response, status=400)


def delete(ctx: RequestContext, response_id: int) -> Response:
    canned = ctx.helpdesk.canned
    response = canned.get(ctx.actor, response_id)
    canned.delete(ctx.actor, response.id)
    ctx.flash(_("Canned response “%(title)s” deleted.", title=response.title))
    return ctx.redirect("agent.admin.canned")


def _read(form: Form) -> dict[str, Any]:
    """What the core takes, or errors in `form` for a missing title or body."""
    if not form["title"].strip():
        form.error("title", _("Give the response a title."))
    if not form["body"].strip():
        form.error("body", _("Write the text of the response."))
    team = form["team"].strip()
    return {
        "title": form["title"],
        "body": form["body"],
        "team": int(team) if team.isdigit() else None,
    }


def _render_form(ctx: RequestContext, form: Form, response: Any, status: int = 200) -> Response:
    teams = [("", _("Every agent"))] + [
        (str(i), name) for i, name in ctx.helpdesk.teams.names().items()
    ]
    return ctx.render(
        FORM_TEMPLATE,
        status=status,
        form=form,
        response=response,
        teams=teams,
        placeholders=[(name, _(text)) for name, text in PLACEHOLDERS.items()],
    )
