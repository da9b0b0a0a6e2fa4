"""Administration of organizations: their names, email domains (one per line; a domain belongs
to one organization at most) and assigned staff.

Assigned staff see the organization's tickets, and with the `organization_then_round_robin`
assignment the first active one gets its new tickets; so the form keeps the staff in order and
lets the admin say who comes first. An organization that users, tickets or SLA policies still
refer to cannot be deleted: the core says which.
"""

from __future__ import annotations

from typing import Any

from ....errors import Conflict, InvalidInput
from ....schemas import OrganizationOut, UserOut
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _
from .admin_teams import person_choice

T = "ticketcore/agent/admin/"
FIELDS = ("name", "domains", "staff", "first")


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/organizations"
    both = ("GET", "POST")
    router.add(base, "agent.admin.organizations", organization_list)
    router.add(f"{base}/new", "agent.admin.organization_new", organization_new, both)
    router.add(f"{base}/<int:organization_id>", "agent.admin.organization", organization_edit, both)
    router.add(
        f"{base}/<int:organization_id>/delete",
        "agent.admin.organization_delete",
        organization_delete,
        ("POST",),
    )


def organization_list(ctx: RequestContext) -> Response:
    staff = {u.id: u for u in ctx.helpdesk.users.staff()}
    organizations = ctx.helpdesk.organizations.list()
    return ctx.render(
        T + "organizations.html",
        organizations=organizations,
        staff={o.id: _people(ctx, o.staff_ids, staff) for o in organizations},
    )


def organization_new(ctx: RequestContext) -> Response:
    form = ctx.form(name="", domains="", first="")
    chosen = _chosen(ctx, [])
    if ctx.request.method == "POST":
        try:
            org = ctx.helpdesk.organizations.create(ctx.actor, **_values(form, chosen))
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Organization “%(name)s” created.", name=org.name))
            return ctx.redirect("agent.admin.organizations")
    return _form_page(ctx, form, None, chosen)


def organization_edit(ctx: RequestContext, organization_id: int) -> Response:
    org = ctx.helpdesk.organizations.get(organization_id)
    form = ctx.form(**_defaults(org))
    chosen = _chosen(ctx, org.staff_ids)
    if ctx.request.method == "POST":
        try:
            saved = ctx.helpdesk.organizations.update(ctx.actor, org.id, **_values(form, chosen))
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Organization “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.admin.organizations")
    return _form_page(ctx, form, org, chosen)


def organization_delete(ctx: RequestContext, organization_id: int) -> Response:
    org = ctx.helpdesk.organizations.get(organization_id)
    try:
        ctx.helpdesk.organizations.delete(ctx.actor, org.id)
    except Conflict as exc:
        return _form_page(
            ctx, Form(_defaults(org)), org, [str(i) for i in org.staff_ids], delete_error=str(exc)
        )
    ctx.flash(_("Organization “%(name)s” deleted.", name=org.name))
    return ctx.redirect("agent.admin.organizations")


# ---------------------------------------------------------------- helpers


def _defaults(org: OrganizationOut) -> dict[str, str]:
    return {
        "name": org.name,
        "domains": "\n".join(org.domains),
        "first": str(org.staff_ids[0]) if org.staff_ids else "",
    }


def _values(form: Form, chosen: list[str]) -> dict[str, Any]:
    """The form as the core takes it: domains one per line, staff in order with the one named
    first (if ticked) at the head."""
    staff = [int(v) for v in chosen if v.isdigit()]
    first = form["first"]
    if first.isdigit() and int(first) in staff:
        staff.remove(int(first))
        staff.insert(0, int(first))
    return {
        "name": form["name"],
        "domains": [line.strip() for line in form["domains"].splitlines() if line.strip()],
        "staff": staff,
    }


def _chosen(ctx: RequestContext, current: list[int]) -> list[str]:
    """The staff boxes to show ticked, in order: what was sent, or the organization's staff."""
    if ctx.request.method == "POST":
        return list(dict.fromkeys(ctx.request.form.getlist("staff")))
    return [str(i) for i in current]


def _people(ctx: RequestContext, ids: list[int], active: dict[int, UserOut]) -> list[UserOut]:
    """The users `ids` name, in that order; deactivated ones looked up one by one."""
    return [active.get(i) or ctx.helpdesk.users.get(i) for i in ids]


def _form_page(
    ctx: RequestContext,
    form: Form,
    org: OrganizationOut | None,
    chosen: list[str],
    delete_error: str = "",
) -> Response:
    staff = {u.id: u for u in ctx.helpdesk.users.staff()}
    current = _people(ctx, org.staff_ids if org is not None else [], staff)
    # Current staff first, in their order, then everyone else by name.
    people = [*current, *(u for u in staff.values() if u.id not in {p.id for p in current})]
    status = 409 if delete_error else 400 if form.errors else 200
    return ctx.render(
        T + "organizations_form.html",
        status=status,
        form=form,
        organization=org,
        people=[person_choice(u) for u in people],
        first_choices=[
            ("", _("In the order listed")),
            *((str(u.id), u.display_name) for u in people),
        ],
        selected=set(chosen),
        delete_error=delete_error,
    )
