"""Administration's front page: one place from which an admin reaches every setting."""

from __future__ import annotations

from ...context import RequestContext
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _


def register(router: Router, prefix: str) -> None:
    router.add(f"{prefix}/admin", "agent.admin.home", admin_home)


def admin_home(ctx: RequestContext) -> Response:
    areas = [
        ("agent.admin.teams", _("Teams"), _("Departments and the agents in them.")),
        (
            "agent.admin.organizations",
            _("Organizations"),
            _("Customer companies, their email domains and the staff assigned to them."),
        ),
        ("agent.admin.users", _("Users"), _("Invite agents and customers, change roles.")),
        (
            "agent.admin.templates",
            _("Ticket templates"),
            _("Forms customers fill in, with their custom fields."),
        ),
        (
            "agent.admin.sla",
            _("SLA policies and calendars"),
            _("Response and resolution targets, opening hours and holidays."),
        ),
        ("agent.admin.canned", _("Canned responses"), _("Replies agents insert and adapt.")),
        (
            "agent.admin.settings",
            _("Portal settings"),
            _("Guest access, visibility, closed tickets, branding and attachment limits."),
        ),
    ]
    return ctx.render(
        "ticketcore/agent/admin/home.html",
        areas=[(ctx.url(name), title, text) for name, title, text in areas],
    )
