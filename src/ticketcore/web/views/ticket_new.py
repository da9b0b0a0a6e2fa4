"""Opening a ticket: the form for customers and guests, and the page that confirms it.

Without JavaScript a template is chosen with a GET form (`?template=<slug>`), which re-renders
this page with the template's custom fields; the POST then names the template in a hidden field.
Guests get their ticket's secret token in the session, so the confirmation page and the ticket
page open for them straight away (the emailed link does the same later, on any device).

Knowledge-base articles matching the subject are offered before a ticket is sent: portal.js
lists them while the subject is typed; without JavaScript the first POST comes back once with
the articles and the typed text (`suggestions_seen` then lets the next POST through) — unless
files were attached, which a browser cannot keep across that extra step. A ticket
sent after opening a suggestion is recorded as a conversion, so the dashboard counts only
visitors the article really helped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ...errors import InvalidInput, NotFound
from ...schemas import CreatedTicket, TemplateOut, TicketOut
from ...trackid import normalize_track_id
from ...workflow import Priority
from ..captcha import captcha_markup, captcha_refused
from ..context import RequestContext
from ..forms import Form
from ..http import Response
from ..identity import GUEST_KEY
from ..routing import Router
from ..templating import gettext_ as _
from . import kb

TEMPLATE = "ticketcore/customer/ticket_new.html"
GUEST_TOKENS_KEPT = 20  # secret links remembered per browser; the session cookie stays small
_CC_SPLIT = re.compile(r"[,;\s]+")


def register(router: Router) -> None:
    router.add("/tickets/new", "tickets.new", new_ticket, methods=("GET", "POST"))
    router.add("/tickets/created/<track_id>", "tickets.created", created)


# ------------------------------------------------------------------ the form


def new_ticket(ctx: RequestContext) -> Response:
    """Customers open tickets as themselves, visitors as guests (when the site allows it)."""
    guest = ctx.user is None
    if guest and not ctx.helpdesk.settings.guest_tickets:
        ctx.require_login()
    if ctx.actor.is_staff:  # staff open tickets for customers in the agent portal
        status = 403 if ctx.request.method == "POST" else 200
        return ctx.render(TEMPLATE, status=status, staff=True)
    templates = ctx.helpdesk.templates.list()
    source = ctx.request.form if ctx.request.method == "POST" else ctx.request.query
    template = _find_template(templates, source.get("template"))
    form = ctx.form(
        template=template.slug if template else "",
        subject=ctx.request.query.get("subject")[:200],
        priority=Priority.NORMAL.name.lower(),
    )
    if ctx.request.method != "POST":
        return _render(ctx, form, templates, template, guest)

    files = ctx.request.uploads("attachments")
    if not form["suggestions_seen"] and not files:  # with files chosen, nothing is lost
        suggestions = kb.suggestions(ctx, form["subject"])
        if suggestions:
            return _render(ctx, form, templates, template, guest, suggestions=suggestions)
    if not (guest and captcha_refused(ctx, "guest", form)):
        try:
            made = _create(ctx, form, template, guest)
        except InvalidInput as exc:
            _absorb(ctx, form, exc, template, guest)
        else:
            return _created(ctx, made, guest)
    return _render(ctx, form, templates, template, guest, status=400, files_lost=bool(files))


def _find_template(templates: list[TemplateOut], ref: str) -> TemplateOut | None:
    """An active template by slug (or id); anything else means no template."""
    ref = ref.strip().lower()
    return next((t for t in templates if ref and ref in (t.slug, str(t.id))), None)


def _create(
    ctx: RequestContext, form: Form, template: TemplateOut | None, guest: bool
) -> CreatedTicket:
    settings = ctx.helpdesk.settings
    values: dict[str, Any] = {
        "subject": form["subject"],
        "body": form["body"],
        "template": template.slug if template else None,
        "custom_fields": _custom_values(ctx, template),
        "cc": [e for e in _CC_SPLIT.split(form["cc"]) if e],
        "attachments": ctx.request.uploads("attachments"),
    }
    if settings.customer_can_choose_team and form["team"]:
        values["team"] = form["team"]
    if settings.customer_can_choose_priority and form["priority"]:
        values["priority"] = form["priority"]
    tickets = ctx.helpdesk.tickets
    if guest:
        return tickets.create_as_guest(
            values, email=form["email"], display_name=form["display_name"]
        )
    return tickets.create(ctx.actor, values)


def _custom_values(ctx: RequestContext, template: TemplateOut | None) -> dict[str, Any]:
    """The template's fields as submitted; an unticked checkbox sends nothing, so it is False."""
    if template is None:
        return {}
    submitted = ctx.request.form
    return {
        f.key: (f"cf_{f.key}" in submitted)
        if f.type == "checkbox"
        else submitted.get(f"cf_{f.key}")
        for f in template.fields
    }


def _absorb(
    ctx: RequestContext,
    form: Form,
    exc: InvalidInput,
    template: TemplateOut | None,
    guest: bool,
) -> None:
    """Put each service error beside its field, with plain words for the empty required ones."""
    settings = ctx.helpdesk.settings
    custom = {
        f"custom_fields.{f.key}": f"cf_{f.key}" for f in (template.fields if template else [])
    }
    shown = ["subject", "body", "cc", "attachments", *custom.values()]
    if settings.customer_can_choose_team:
        shown.append("team")
    if settings.customer_can_choose_priority:
        shown.append("priority")
    if guest:
        shown += ["email", "display_name"]
    form.absorb(exc, fields=custom, shown=shown)
    required = {
        "subject": _("Enter a subject."),
        "body": _("Describe what you need help with."),
        "email": _("Enter your email address."),
    }
    for name, message in required.items():
        if name in form.errors and not form[name].strip():
            form.errors[name] = [message]


def _created(ctx: RequestContext, made: CreatedTicket, guest: bool) -> Response:
    track_id = made.ticket.track_id
    _record_conversion(ctx, made)
    if guest and made.guest_token:
        guests = ctx.session.get(GUEST_KEY)
        kept = dict(guests) if isinstance(guests, Mapping) else {}
        kept.pop(track_id, None)
        kept[track_id] = made.guest_token
        # A new dict (not a mutation) so every framework notices the session changed.
        ctx.session[GUEST_KEY] = dict(list(kept.items())[-GUEST_TOKENS_KEPT:])
    ctx.flash(_("Your ticket %(track_id)s has been created.", track_id=track_id))
    return ctx.redirect("tickets.created", track_id=track_id)


def _record_conversion(ctx: RequestContext, made: CreatedTicket) -> None:
    """The visitor read a suggested article and still needed a ticket: not a deflection."""
    key = ctx.session.get(kb.VISITOR_KEY)
    if not ctx.session.pop(kb.SUGGESTED_KEY, False) or not isinstance(key, str):
        return
    tickets = ctx.helpdesk.tickets
    reader = (
        tickets.guest_actor(made.ticket.track_id, made.guest_token)
        if made.guest_token
        else ctx.actor
    )
    ctx.helpdesk.kb.deflection.converted(reader, key, made.ticket.id)


def _render(
    ctx: RequestContext,
    form: Form,
    templates: list[TemplateOut],
    template: TemplateOut | None,
    guest: bool,
    *,
    status: int = 200,
    files_lost: bool = False,
    suggestions: list[dict[str, str]] | None = None,
) -> Response:
    helpdesk = ctx.helpdesk
    settings = helpdesk.settings
    teams = helpdesk.teams.list() if settings.customer_can_choose_team else []
    return ctx.render(
        TEMPLATE,
        status=status,
        form=form,
        guest=guest,
        templates=templates,
        chosen=template,
        select_options={
            f.key: [("", _("Choose…"))] + [(o, o) for o in f.options]
            for f in (template.fields if template else [])
        },
        number_attrs=Markup('step="any" inputmode="decimal"'),
        team_options=[("", _("Not sure"))] + [(t.slug, t.name) for t in teams],
        priority_options=[(p.name.lower(), _(p.label)) for p in Priority],
        files_lost=files_lost,
        captcha_html=captcha_markup(ctx, "guest") if guest else None,
        suggestions=suggestions or [],
        subject_attrs=Markup(
            'data-kb-suggest="{}" aria-controls="kb-suggestions" autocomplete="off"'
        ).format(ctx.url("kb.suggest")),
    )


# ------------------------------------------------------------------ confirmation


def created(ctx: RequestContext, track_id: str) -> Response:
    """The track ID to quote, and when to expect an answer."""
    ticket, as_guest = _readable(ctx, track_id)
    locale = ctx.user.locale if ctx.user else "en"
    return ctx.render(
        "ticketcore/customer/ticket_created.html",
        ticket=ticket,
        as_guest=as_guest,
        typical_response=ctx.helpdesk.sla.typical_response(team=ticket.team_id, locale=locale),
    )


def _readable(ctx: RequestContext, track_id: str) -> tuple[TicketOut, bool]:
    """The ticket as its requester sees it, or as the guest whose session holds its token."""
    tickets = ctx.helpdesk.tickets
    if ctx.user is not None:
        try:
            return tickets.get_by_track_id(ctx.actor, track_id), False
        except NotFound:
            pass  # perhaps a guest ticket opened in this browser before logging in
    guests = ctx.session.get(GUEST_KEY)
    key = normalize_track_id(track_id) or track_id
    token = guests.get(key) if isinstance(guests, Mapping) else None
    if not isinstance(token, str):
        raise NotFound(f"no ticket {track_id!r}")
    return tickets.get_by_track_id(tickets.guest_actor(track_id, token), track_id), True
