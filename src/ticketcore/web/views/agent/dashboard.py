"""The agent dashboard: what needs attention now, and how the desk is doing today."""

from __future__ import annotations

from datetime import timedelta

from ...context import RequestContext
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _
from ...templating import ngettext_


def register(router: Router, prefix: str) -> None:
    router.add(prefix, "agent.dashboard", dashboard)


def duration(value: timedelta | None) -> str:
    """'1 h 25 min', '40 min', or a dash when nothing was answered yet."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return ngettext_("%(num)s day", "%(num)s days", round(hours / 24))
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("%(minutes)s min", minutes=minutes)


def dashboard(ctx: RequestContext) -> Response:
    data = ctx.helpdesk.dashboard.for_agent(ctx.actor)
    panels = [
        (
            "pending",
            _("Waiting for us"),
            _("New tickets and customer replies"),
            data.pending,
            ctx.url("agent.queue", view="teams", sort="last_reply", order="asc"),
        ),
        ("mine", _("My open tickets"), "", data.mine, ctx.url("agent.queue")),
        (
            "unassigned",
            _("Unassigned in my teams"),
            "",
            data.unassigned_in_my_teams,
            ctx.url("agent.queue", view="unassigned"),
        ),
        (
            "at_risk",
            _("SLA at risk"),
            "",
            data.at_risk,
            ctx.url("agent.queue", view="sla", sla="at_risk", sort="due"),
        ),
        (
            "breached",
            _("SLA breached"),
            "",
            data.breached,
            ctx.url("agent.queue", view="sla", sla="breached", sort="due"),
        ),
    ]
    return ctx.render(
        "ticketcore/agent/dashboard.html",
        data=data,
        panels=panels,
        first_response=duration(data.avg_first_response_week),
        deflection=ctx.helpdesk.kb.deflection.counts(ctx.actor),
    )
