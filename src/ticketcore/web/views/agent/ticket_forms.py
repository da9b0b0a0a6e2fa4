"""What an agent does on the ticket page: reply to the customer, add an internal note, and
change the ticket's properties.

Each action checks `seen` (when its form was shown) through the core: if someone else acted on
the ticket since, nothing is saved and the page comes back (409) with what changed, the typed
text kept and a fresh `seen`, so sending again is a decision, not an accident. Mistakes come
back as on the customer page (400, the message beside its field, the text kept); success
redirects to the page (303), so reloading never sends twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ....errors import InvalidInput, NotFound, StaleTicket
from ....schemas import TemplateFieldOut, TicketOut
from ....workflow import Priority, Status
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _
from .ticket import field_text, load_ticket, render_page, template_fields_of

POST = ("POST",)


def register(router: Router, prefix: str) -> None:
    page = f"{prefix}/tickets/<track_id>"
    router.add(f"{page}/reply", "agent.ticket_reply", reply, POST)
    router.add(f"{page}/note", "agent.ticket_note", note, POST)
    router.add(f"{page}/update", "agent.ticket_update", update, POST)


def read_seen(form: Form) -> datetime | None:
    """The moment the form was shown, or None (with an error in `form`) when it is missing or
    unreadable: without it the core could not tell whether the agent saw the latest state."""
    try:
        seen = datetime.fromisoformat(form["seen"])
    except ValueError:
        seen = None
    if seen is None or seen.tzinfo is None:
        form.error("", _("This form was incomplete. Check the ticket and send it again."))
        return None
    return seen


def _refused(
    ctx: RequestContext, track_id: str, name: str, form: Form, exc: StaleTicket
) -> Response:
    """Someone acted first: show what they did, keep the form as typed."""
    ticket = load_ticket(ctx, track_id)
    return render_page(ctx, ticket, status=409, forms={name: form}, stale=exc.changes)


def _done(ctx: RequestContext, ticket: TicketOut, message: str) -> Response:
    ctx.flash(message)
    return ctx.redirect("agent.ticket", track_id=ticket.track_id)


# ---------------------------------------------------------------- reply and note


def reply(ctx: RequestContext, track_id: str) -> Response:
    ticket = load_ticket(ctx, track_id)
    form = ctx.form()
    seen = read_seen(form)
    if not form["body"].strip():
        form.error("body", _("Write your reply before sending it."))
    leave_as = form["leave_as"]
    if leave_as not in Status.__members__.values():
        form.error("leave_as", _("Choose the status to leave the ticket in."))
    if not form.ok:
        return render_page(ctx, ticket, status=400, forms={"reply": form})
    status = Status(leave_as)
    try:
        ctx.helpdesk.messages.reply(
            ctx.actor,
            ticket.id,
            body=form["body"],
            attachments=ctx.request.uploads("attachments"),
            status=None if status is ticket.status else status,
            unchanged_since=seen,
        )
    except StaleTicket as exc:
        return _refused(ctx, track_id, "reply", form, exc)
    except InvalidInput as exc:
        form.absorb(exc, fields={"status": "leave_as"}, shown=["body", "attachments", "leave_as"])
        return render_page(ctx, ticket, status=400, forms={"reply": form})
    return _done(ctx, ticket, _("Your reply was sent to the customer."))


def note(ctx: RequestContext, track_id: str) -> Response:
    ticket = load_ticket(ctx, track_id)
    form = ctx.form()
    seen = read_seen(form)
    if not form["note"].strip():
        form.error("note", _("Write the note before adding it."))
    if not form.ok:
        return render_page(ctx, ticket, status=400, forms={"note": form})
    try:
        ctx.helpdesk.messages.add_note(ctx.actor, ticket.id, form["note"], unchanged_since=seen)
    except StaleTicket as exc:
        return _refused(ctx, track_id, "note", form, exc)
    except InvalidInput as exc:
        form.absorb(exc, fields={"body": "note"}, shown=["note"])
        return render_page(ctx, ticket, status=400, forms={"note": form})
    return _done(ctx, ticket, _("Your internal note was added. The customer does not see it."))


# ---------------------------------------------------------------- properties


def update(ctx: RequestContext, track_id: str) -> Response:
    """Save only what the agent changed in the form, so an untouched field never overwrites
    (or re-records in the audit trail) what it already says."""
    ticket = load_ticket(ctx, track_id)
    form = ctx.form()
    seen = read_seen(form)
    fields = template_fields_of(ctx, ticket)
    changes = _changes(ctx, ticket, form, fields)
    if not form.ok:
        return render_page(ctx, ticket, status=400, forms={"properties": form})
    if not changes:
        ctx.flash(_("Nothing was changed."), "info")
        return ctx.redirect("agent.ticket", track_id=ticket.track_id)
    custom = {f"custom_fields.{f.key}": f"cf_{f.key}" for f in fields}
    try:
        ctx.helpdesk.tickets.update(ctx.actor, ticket.id, **changes, unchanged_since=seen)
    except StaleTicket as exc:
        return _refused(ctx, track_id, "properties", form, exc)
    except InvalidInput as exc:
        shown = ["status", "priority", "team", "assignee", *custom.values()]
        form.absorb(exc, fields=custom, shown=shown)
        return render_page(ctx, ticket, status=400, forms={"properties": form})
    try:
        load_ticket(ctx, track_id)
    except NotFound:  # moved to another team: the page would be a 404 now
        ctx.flash(_("Your changes were saved. The ticket is no longer one you can see."))
        return ctx.redirect("agent.queue")
    return _done(ctx, ticket, _("Your changes were saved."))


def _changes(
    ctx: RequestContext, ticket: TicketOut, form: Form, fields: list[TemplateFieldOut]
) -> dict[str, Any]:
    """The `tickets.update` fields whose submitted value differs from the ticket's."""
    changes: dict[str, Any] = {}
    status = form["status"]
    if status not in Status.__members__.values():
        form.error("status", _("Choose a status."))
    elif status != ticket.status.value:
        changes["status"] = status
    priority = form["priority"]
    if priority not in {p.name.lower() for p in Priority}:
        form.error("priority", _("Choose a priority."))
    elif priority != ticket.priority.name.lower():
        changes["priority"] = priority
    team = form["team"]
    if team and team != str(ticket.team_id or ""):
        changes["team"] = int(team) if team.isdigit() else team
    assignee = form["assignee"]
    current = str(ticket.assignee.id) if ticket.assignee else ""
    if assignee != current:
        changes["assignee"] = int(assignee) if assignee.isdigit() else (assignee or "none")
    custom: dict[str, Any] = {}
    for field in fields:
        name = f"cf_{field.key}"
        before = ticket.custom_fields.get(field.key)
        if field.type == "checkbox":
            ticked = name in ctx.request.form
            if ticked != bool(before):
                custom[field.key] = ticked
        elif form[name].strip() != field_text(field, before):
            custom[field.key] = form[name]
    if custom:
        changes["custom_fields"] = custom
    return changes
