"""Administration of users: the searchable list, an account's role, organization and active
flag, and inviting people by email.

An invitation opens the account at once (so it can be put in teams) and emails a link to
choose a password (`account.invite`). An account without a password — invited and not accepted
yet, or a customer who only ever wrote by email — can be sent a new invitation from its page;
the earlier link then stops working. The core keeps admins from demoting or deactivating
themselves; this page shows its reasons beside the fields.
"""

from __future__ import annotations

from typing import Any

from ....errors import InvalidInput
from ....schemas import UserAdminOut
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

T = "ticketcore/agent/admin/"
PER_PAGE = 25
ROLES = ("customer", "agent", "admin")
INVITE_FIELDS = ("email", "display_name", "role", "teams", "organization")
EDIT_FIELDS = ("role", "organization", "is_active")


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/users"
    both = ("GET", "POST")
    router.add(base, "agent.admin.users", user_list)
    router.add(f"{base}/invite", "agent.admin.user_invite", invite, both)
    router.add(f"{base}/<int:user_id>", "agent.admin.user", user_edit, both)
    router.add(f"{base}/<int:user_id>/invite", "agent.admin.user_reinvite", reinvite, ("POST",))


def _role_labels() -> dict[str, str]:
    return {"customer": _("Customer"), "agent": _("Agent"), "admin": _("Admin")}


# ---------------------------------------------------------------- the list


def user_list(ctx: RequestContext) -> Response:
    query = ctx.request.query
    text = query.get("q").strip()[:200]
    role = query.get("role") if query.get("role") in ROLES else None
    page_text = query.get("page")
    page = min(int(page_text), 100_000) if page_text.isdigit() and int(page_text) > 0 else 1
    result = ctx.helpdesk.users.search(
        ctx.actor, text=text, role=role, page=page, per_page=PER_PAGE
    )

    def link(number: int) -> str:
        return ctx.url(
            "agent.admin.users", q=text or None, role=role, page=number if number > 1 else None
        )

    return ctx.render(
        T + "users.html",
        result=result,
        form=Form({"q": text, "role": role or ""}),
        role_filter=[("", _("Every role")), *_role_labels().items()],
        roles=_role_labels(),
        organizations=ctx.helpdesk.organizations.names(),
        teams=ctx.helpdesk.teams.names(),
        pager={
            "page": result.page,
            "pages": result.pages,
            "previous_url": link(result.page - 1) if result.page > 1 else None,
            "next_url": link(result.page + 1) if result.page < result.pages else None,
        },
    )


# ---------------------------------------------------------------- inviting


def invite(ctx: RequestContext) -> Response:
    _own_accounts_only(ctx)
    form = ctx.form(email="", display_name="", role="agent", organization="")
    teams = set(ctx.request.form.getlist("teams"))
    if ctx.request.method == "POST":
        try:
            user = ctx.helpdesk.invitations.invite(
                ctx.actor,
                email=form["email"],
                display_name=form["display_name"],
                role=form["role"],
                teams=sorted(int(t) for t in teams if t.isdigit()),
                organization=form["organization"] or None,
            )
        except InvalidInput as exc:
            form.absorb(exc, shown=INVITE_FIELDS)
        else:
            ctx.flash(_("An invitation is on its way to %(email)s.", email=user.email))
            return ctx.redirect("agent.admin.user", user_id=user.id)
    return ctx.render(
        T + "users_invite.html",
        status=400 if form.errors else 200,
        form=form,
        roles=list(_role_labels().items()),
        team_choices=[(i, name, "") for i, name in ctx.helpdesk.teams.names().items()],
        selected_teams=teams,
        organizations=[
            ("", _("Matched by email domain")),
            *((str(i), name) for i, name in ctx.helpdesk.organizations.names().items()),
        ],
        days=ctx.helpdesk.settings.invitation_days,
    )


def reinvite(ctx: RequestContext, user_id: int) -> Response:
    _own_accounts_only(ctx)
    user = ctx.helpdesk.users.details(ctx.actor, user_id)
    try:
        ctx.helpdesk.invitations.reinvite(ctx.actor, user.id)
    except InvalidInput as exc:
        form = Form(_defaults(user))
        form.absorb(exc, shown=())
        return _edit_page(ctx, form, user)
    ctx.flash(_("An invitation is on its way to %(email)s.", email=user.email))
    return ctx.redirect("agent.admin.user", user_id=user.id)


# ---------------------------------------------------------------- one user


def user_edit(ctx: RequestContext, user_id: int) -> Response:
    user = ctx.helpdesk.users.details(ctx.actor, user_id)
    form = ctx.form(**_defaults(user))
    if ctx.request.method == "POST":
        try:
            saved = ctx.helpdesk.users.update(ctx.actor, user.id, **_values(form))
        except InvalidInput as exc:
            form.absorb(exc, shown=EDIT_FIELDS)
        else:
            ctx.flash(_("The account of %(name)s is saved.", name=saved.display_name))
            return ctx.redirect("agent.admin.user", user_id=user.id)
    return _edit_page(ctx, form, user)


def _defaults(user: UserAdminOut) -> dict[str, str]:
    return {
        "role": user.role,
        "organization": str(user.organization_id or ""),
        "is_active": "1" if user.is_active else "",
    }


def _values(form: Form) -> dict[str, Any]:
    return {
        "role": form["role"],
        "organization": form["organization"] or None,
        "is_active": form["is_active"] == "1",
    }


def _edit_page(ctx: RequestContext, form: Form, user: UserAdminOut) -> Response:
    teams = ctx.helpdesk.teams.names()
    return ctx.render(
        T + "users_edit.html",
        status=400 if form.errors else 200,
        form=form,
        person=user,
        roles=list(_role_labels().items()),
        organizations=[
            ("", _("No organization")),
            *((str(i), name) for i, name in ctx.helpdesk.organizations.names().items()),
        ],
        team_names=[teams[i] for i in user.team_ids if i in teams],
        is_self=user.id == ctx.actor.user_id,
        can_invite=ctx.portal.own_accounts and user.is_active and not user.has_password,
    )


def _own_accounts_only(ctx: RequestContext) -> None:
    """Invitations set a ticketcore password: there are none when the host site owns logins."""
    if not ctx.portal.own_accounts:
        ctx.abort_not_found()
