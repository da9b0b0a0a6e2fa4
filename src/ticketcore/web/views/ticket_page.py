"""The customer's ticket page: the thread, the ticket's facts, and the forms acting on it.

Who acts on a ticket here is decided in one place, `visible_ticket`, for the page, its actions
(`ticket_actions.py`) and its attachments (`attachments.py`) alike: the logged-in person when
they may see it, else the holder of the ticket's secret link (a guest), else nobody (404).
A secret link's token is moved from the URL into the session at once, so it never lingers in
the address bar, the history or a Referer header.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import NotFound
from ...permissions import Actor, ActorKind
from ...schemas import TicketOut
from ...trackid import normalize_track_id
from ...workflow import FINISHED, Status
from ..context import RequestContext
from ..forms import Form
from ..http import Response
from ..identity import GUEST_KEY
from ..routing import Router
from ..templating import gettext_ as _

TEMPLATE = "ticketcore/customer/ticket.html"
# Raster formats a browser cannot be tricked into running script from (SVG can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
GUEST_LINKS_KEPT = 20  # secret links remembered per session; the cookie must stay small
FORM_NAMES = ("reply", "cc", "rate", "secure")


def register(router: Router) -> None:
    # Imported here: those modules build on the helpers below.
    from . import attachments, ticket_actions

    router.add("/tickets/<track_id>", "tickets.show", show)
    ticket_actions.register(router)
    attachments.register(router)


# ---------------------------------------------------------------- who is asking


def visible_ticket(ctx: RequestContext, track_id: str) -> tuple[Actor, TicketOut]:
    """The actor for everything done to ticket `track_id` in this request, and the ticket as
    that actor sees it; `NotFound` for everyone else.

    A logged-in person who may see the ticket acts as themselves; otherwise a secret link
    remembered in the session makes them the ticket's guest; a visitor without one may still
    read a public ticket. Everybody else gets the same 404 whether the ticket exists or not.
    """
    tickets = ctx.helpdesk.tickets
    anonymous = ctx.actor.kind is ActorKind.ANONYMOUS
    if not anonymous:
        with contextlib.suppress(NotFound):
            return ctx.actor, tickets.get_by_track_id(ctx.actor, track_id)
    key = normalize_track_id(track_id)
    token = guest_tokens(ctx).get(key) if key else None
    if token:
        try:
            guest = tickets.guest_actor(track_id, token)
        except NotFound:  # the link was revoked or the ticket deleted: forget it
            _forget_guest(ctx, key or "")
        else:
            return guest, tickets.get_by_track_id(guest, track_id)
    if anonymous:
        return ctx.actor, tickets.get_by_track_id(ctx.actor, track_id)
    raise NotFound(f"no ticket {track_id!r}")


def guest_tokens(ctx: RequestContext) -> dict[str, str]:
    stored = ctx.session.get(GUEST_KEY)
    if not isinstance(stored, Mapping):
        return {}
    return {str(k): str(v) for k, v in stored.items()}


def _remember_guest(ctx: RequestContext, track_id: str, token: str) -> None:
    tokens = guest_tokens(ctx)
    tokens.pop(track_id, None)
    tokens[track_id] = token  # newest last, so the oldest go first
    ctx.session[GUEST_KEY] = dict(list(tokens.items())[-GUEST_LINKS_KEPT:])


def _forget_guest(ctx: RequestContext, track_id: str) -> None:
    tokens = guest_tokens(ctx)
    if tokens.pop(track_id, None) is not None:
        ctx.session[GUEST_KEY] = tokens


@dataclass(frozen=True)
class Abilities:
    """Which forms the page offers. The core decides again on every action; this only keeps
    the page from offering what would be refused."""

    reply: bool = False
    finish: bool = False
    manage_cc: bool = False
    set_public: bool = False
    rate: bool = False


def abilities(ctx: RequestContext, actor: Actor, ticket: TicketOut) -> Abilities:
    if actor.is_staff:
        return Abilities(reply=True, finish=True, manage_cc=True, set_public=True)
    if actor.kind is ActorKind.GUEST:
        return Abilities(reply=True, finish=True, rate=True)
    if actor.kind is not ActorKind.CUSTOMER:
        return Abilities()
    if ticket.requester.id == actor.user_id:
        return Abilities(reply=True, finish=True, manage_cc=True, set_public=True, rate=True)
    in_org = actor.organization_id is not None and ticket.organization_id == actor.organization_id
    org_replies = ctx.helpdesk.settings.organization_visibility == "view_and_reply"
    return Abilities(reply=(in_org and org_replies) or _is_copied(ctx, actor, ticket))


def _is_copied(ctx: RequestContext, actor: Actor, ticket: TicketOut) -> bool:
    """Whether the ticket is among the actor's own (they are copied on it, not the requester)."""
    found = ctx.helpdesk.tickets.list(actor, scope="mine", text=ticket.track_id, per_page=100)
    return any(t.id == ticket.id for t in found.items)


# ---------------------------------------------------------------- the page


def show(ctx: RequestContext, track_id: str) -> Response:
    token = ctx.request.query.get("token")
    if token:
        return _open_secret_link(ctx, track_id, token)
    try:
        actor, ticket = visible_ticket(ctx, track_id)
    except NotFound:
        if ctx.user is None:
            return _not_found_for_visitor(ctx)
        raise
    return render_page(ctx, actor, ticket)


def _open_secret_link(ctx: RequestContext, track_id: str, token: str) -> Response:
    """Check the emailed link, keep its token in the session, and show the URL without it."""
    tickets = ctx.helpdesk.tickets
    guest = tickets.guest_actor(track_id, token)  # NotFound: 404, the same as no ticket
    ticket = tickets.get_by_track_id(guest, track_id)
    _remember_guest(ctx, ticket.track_id, token)
    return ctx.redirect("tickets.show", track_id=ticket.track_id)


def _not_found_for_visitor(ctx: RequestContext) -> Response:
    """The same 404 for a missing ticket and another's, with a way to log in and come back."""
    here = ctx.request.script_root + ctx.request.path
    return ctx.render(
        "ticketcore/customer/error.html",
        status=404,
        title=_("Page not found"),
        detail=_("There is nothing here, or you may not see it. If this is your ticket, log in."),
        login_url=ctx.portal.login_url(ctx, here),
    )


def render_page(
    ctx: RequestContext,
    actor: Actor,
    ticket: TicketOut,
    *,
    status: int = 200,
    forms: Mapping[str, Form] | None = None,
) -> Response:
    """The ticket page; an action that failed passes its form back, with the errors in it."""
    helpdesk = ctx.helpdesk
    can = abilities(ctx, actor, ticket)
    finished = ticket.status in FINISHED
    policy = helpdesk.settings.reply_on_closed
    secure_on = helpdesk.secure_data.enabled and can.reply
    all_forms = {name: Form() for name in FORM_NAMES}
    all_forms.update(forms or {})
    values: dict[str, Any] = {
        "ticket": ticket,
        "viewer": actor,
        "can": can,
        "finished": finished,
        # Notes are for staff only; the core never gives them to customers, and even an agent
        # looking at the customer portal sees the customer's view.
        "thread": [m for m in helpdesk.messages.thread(actor, ticket.id) if not m.is_internal],
        "inline_types": INLINE_IMAGE_TYPES,
        "custom_fields": _custom_fields(ctx, ticket),
        "reply_refused": finished and policy == "refuse",
        "reply_reopens": finished and policy == "reopen",
        "feedback": helpdesk.tickets.feedback(actor, ticket.id) if finished and can.rate else None,
        "rating_options": rating_options(),
        "secure_on": secure_on,
        "secure_form": secure_on and ticket.status is not Status.CLOSED,
        "secure_items": helpdesk.secure_data.list(actor, ticket.id) if secure_on else [],
        "forms": all_forms,
    }
    return ctx.render(TEMPLATE, status=status, **values)


def rating_options() -> list[tuple[str, str]]:
    return [
        ("5", _("5 – Excellent")),  # noqa: RUF001 - a typographic dash
        ("4", _("4 – Good")),  # noqa: RUF001 - a typographic dash
        ("3", _("3 – Fair")),  # noqa: RUF001 - a typographic dash
        ("2", _("2 – Poor")),  # noqa: RUF001 - a typographic dash
        ("1", _("1 – Very poor")),  # noqa: RUF001 - a typographic dash
    ]


def _custom_fields(ctx: RequestContext, ticket: TicketOut) -> list[tuple[str, str]]:
    """(label, shown value) pairs in the template's order; keys stand in for lost labels."""
    if not ticket.custom_fields:
        return []
    labels: dict[str, str] = {}
    if ticket.template_id is not None:
        try:
            template = ctx.helpdesk.templates.get(ticket.template_id)
            labels = {f.key: f.label for f in template.fields}
        except NotFound:
            pass
    order = [k for k in labels if k in ticket.custom_fields]
    order += [k for k in ticket.custom_fields if k not in labels]
    shown = []
    for key in order:
        value = ticket.custom_fields[key]
        if value is None or value == "" or value == []:
            continue
        shown.append((labels.get(key, key), _shown_value(value)))
    return shown


def _shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
