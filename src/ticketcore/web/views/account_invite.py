"""The invitation page: a person an administrator invited follows the emailed link, chooses a
password, and is logged in — staff land on the agent dashboard, customers on the portal home.

A link that expired, was used, or was replaced by a newer invitation says so at once (before
anyone types a password) and shows the ways on: log in, choose a password through "Forgot your
password?" (which works for an invited account too), or ask for a new invitation. The form
posts back to the link's own address, so the page body never repeats the token, and a refused
password is never written back into the page.
"""

from __future__ import annotations

from ...errors import InvalidInput, NotFound
from ...schemas import UserOut
from .. import identity
from ..context import RequestContext
from ..forms import Form
from ..http import Response
from ..routing import Router
from ..templating import gettext_ as _

TEMPLATE = "ticketcore/account/invite.html"


def register(router: Router) -> None:
    router.add("/account/invite/<token>", "account.invite", invitation, ("GET", "POST"))


def invitation(ctx: RequestContext, token: str) -> Response:
    if not ctx.portal.own_accounts:
        raise NotFound("the host site owns accounts")
    invitations = ctx.helpdesk.invitations
    try:
        invited = invitations.invited_user(token)
    except InvalidInput:
        return _spent(ctx)
    form = Form()
    if ctx.request.method == "POST":
        password = ctx.request.form.get("password")
        if password != ctx.request.form.get("password_repeat"):
            form.error("password_repeat", _("The two passwords are not the same."))
            for problem in ctx.helpdesk.accounts.check_password(password, invited.email):
                form.error("password", problem)
        else:
            try:
                user = invitations.accept_invitation(token, password)
            except InvalidInput as exc:
                if "token" in exc.errors:  # used in another tab a moment ago
                    return _spent(ctx)
                form.absorb(exc, shown=["password"])
            else:
                return _welcome(ctx, user)
    return ctx.render(TEMPLATE, status=400 if form.errors else 200, form=form, invited=invited)


def _welcome(ctx: RequestContext, user: UserOut) -> Response:
    identity.log_in(ctx.helpdesk, ctx.session, user.id)
    ctx.flash(_("Welcome, %(name)s! Your password is saved.", name=user.display_name))
    return ctx.redirect("agent.dashboard" if user.role != "customer" else "home")


def _spent(ctx: RequestContext) -> Response:
    return ctx.render(TEMPLATE, status=400, form=Form(), invited=None)
