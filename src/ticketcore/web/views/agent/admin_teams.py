"""Administration of teams: their names, the default team for new tickets, and their members,
chosen with checkboxes among the agents and admins.

Saving the form replaces the member set with the boxes ticked. Deactivated members stay on the
form (ticked and marked) so saving does not quietly drop them; deleting a team that tickets,
SLA policies or canned responses still use is refused by the core with a message saying which.
"""

from __future__ import annotations

from typing import Any

from ....errors import Conflict, InvalidInput
from ....schemas import TeamOut, UserOut
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

T = "ticketcore/agent/admin/"
FIELDS = ("name", "is_default", "members")


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/teams"
    both = ("GET", "POST")
    router.add(base, "agent.admin.teams", team_list)
    router.add(f"{base}/new", "agent.admin.team_new", team_new, both)
    router.add(f"{base}/<int:team_id>", "agent.admin.team", team_edit, both)
    router.add(f"{base}/<int:team_id>/delete", "agent.admin.team_delete", team_delete, ("POST",))


def team_list(ctx: RequestContext) -> Response:
    names = {u.id: u for u in ctx.helpdesk.users.staff()}
    teams = ctx.helpdesk.teams.list()
    return ctx.render(
        T + "teams.html",
        teams=teams,
        members={t.id: _members(ctx, t.member_ids, names) for t in teams},
    )


def team_new(ctx: RequestContext) -> Response:
    form = ctx.form(name="", is_default="")
    selected = _selected(ctx, [])
    if ctx.request.method == "POST":
        try:
            team = ctx.helpdesk.teams.create(ctx.actor, **_values(form, selected))
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Team “%(name)s” created.", name=team.name))
            return ctx.redirect("agent.admin.teams")
    return _form_page(ctx, form, None, selected)


def team_edit(ctx: RequestContext, team_id: int) -> Response:
    team = ctx.helpdesk.teams.get(team_id)
    form = ctx.form(name=team.name, is_default="1" if team.is_default else "")
    selected = _selected(ctx, team.member_ids)
    if ctx.request.method == "POST":
        try:
            saved = ctx.helpdesk.teams.update(ctx.actor, team.id, **_values(form, selected))
        except InvalidInput as exc:
            form.absorb(exc, shown=FIELDS)
        else:
            ctx.flash(_("Team “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.admin.teams")
    return _form_page(ctx, form, team, selected)


def team_delete(ctx: RequestContext, team_id: int) -> Response:
    team = ctx.helpdesk.teams.get(team_id)
    try:
        ctx.helpdesk.teams.delete(ctx.actor, team.id)
    except Conflict as exc:
        form = Form({"name": team.name, "is_default": "1" if team.is_default else ""})
        return _form_page(ctx, form, team, {str(i) for i in team.member_ids}, delete_error=str(exc))
    ctx.flash(_("Team “%(name)s” deleted.", name=team.name))
    return ctx.redirect("agent.admin.teams")


# ---------------------------------------------------------------- helpers


def _values(form: Form, selected: set[str]) -> dict[str, Any]:
    return {
        "name": form["name"],
        "is_default": form["is_default"] == "1",
        "members": sorted(int(v) for v in selected if v.isdigit()),
    }


def _selected(ctx: RequestContext, current: list[int]) -> set[str]:
    """The member boxes to show ticked: what was sent, or the team's members."""
    if ctx.request.method == "POST":
        return set(ctx.request.form.getlist("members"))
    return {str(i) for i in current}


def _members(ctx: RequestContext, ids: list[int], active: dict[int, UserOut]) -> list[UserOut]:
    """The users `ids` name, the active ones from `active`, deactivated ones looked up."""
    found = [active.get(i) or ctx.helpdesk.users.get(i) for i in ids]
    return sorted(found, key=lambda u: (u.display_name.casefold(), u.id))


def _form_page(
    ctx: RequestContext,
    form: Form,
    team: TeamOut | None,
    selected: set[str],
    delete_error: str = "",
) -> Response:
    staff = {u.id: u for u in ctx.helpdesk.users.staff()}
    current = team.member_ids if team is not None else []
    people = sorted(
        [*staff.values(), *(u for u in _members(ctx, current, staff) if u.id not in staff)],
        key=lambda u: (u.display_name.casefold(), u.id),
    )
    status = 409 if delete_error else 400 if form.errors else 200
    return ctx.render(
        T + "teams_form.html",
        status=status,
        form=form,
        team=team,
        people=[person_choice(u) for u in people],
        selected=selected,
        delete_error=delete_error,
    )


def person_choice(user: UserOut) -> tuple[int, str, str]:
    """A checkbox of the people lists: value, label and a note for a deactivated account."""
    return (
        user.id,
        f"{user.display_name} ({user.email})",
        "" if user.is_active else _("deactivated"),
    )
