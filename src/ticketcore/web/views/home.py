"""The portal home: quick actions, the customer's counts and recent tickets, and when the desk
answers."""

from __future__ import annotations

from typing import Any

from ...permissions import ActorKind
from ...workflow import Status, StatusGroup
from ..context import RequestContext
from ..http import Response
from ..routing import Router


def register(router: Router) -> None:
    router.add("/", "home", home)
    router.add("/static/<path:filename>", "static", static)


def home(ctx: RequestContext) -> Response:
    helpdesk = ctx.helpdesk
    locale = ctx.user.locale if ctx.user else "en"
    zone = ctx.user.timezone if ctx.user else None
    values: dict[str, Any] = {
        "typical_response": helpdesk.sla.typical_response(locale=locale),
        "working_hours": helpdesk.sla.working_hours_line(viewer_timezone=zone, locale=locale),
        "knowledge_base_url": ctx.url("kb.home"),
    }
    if ctx.actor.kind is ActorKind.CUSTOMER:
        counts = helpdesk.tickets.counts(ctx.actor, scope="mine")
        values.update(
            counts=counts,
            active=counts.by_group.get(StatusGroup.ACTIVE, 0),
            waiting=counts.by_group.get(StatusGroup.WAITING_ON_YOU, 0),
            statuses=[(s, counts.by_status.get(s, 0)) for s in Status],
            recent=helpdesk.tickets.list(ctx.actor, scope="mine", per_page=5).items,
        )
    return ctx.render("ticketcore/customer/home.html", **values)


def static(ctx: RequestContext, filename: str) -> Response:
    return ctx.portal.static_file(filename)
