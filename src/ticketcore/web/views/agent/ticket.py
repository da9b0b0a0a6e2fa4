"""The agent's ticket page: the thread with internal notes and the audit trail in one timeline,
the requester, the SLA deadlines, and the forms that act on the ticket.

Every form on the page carries `seen`, the moment the page was rendered; the actions
(`ticket_forms.py`) hand it to the core, which refuses a write when someone else acted on the
ticket since (`StaleTicket`). The page then comes back with what changed and with the typed
text still in its form, so two agents never silently overwrite each other.

`render_page` is shared with the actions of `ticket_extras.py` (tasks, merge, CC, secure data),
so a form that failed anywhere on the page comes back in the same page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from markupsafe import Markup

from ....errors import NotFound
from ....permissions import ActorKind
from ....schemas import (
    AuditOut,
    MessageOut,
    TemplateFieldOut,
    TicketOut,
    TicketSummary,
    UserOut,
)
from ....workflow import FINISHED, TRANSITIONS, Priority, Status
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import format_when
from ...templating import gettext_ as _
from ..ticket_page import INLINE_IMAGE_TYPES
from .kb import link_choices
from .ticket_extras import extras_context

TEMPLATE = "ticketcore/agent/ticket.html"
OTHER_TICKETS_SHOWN = 5
# Audit records the timeline does not show: the message they record is in the thread already.
SHOWN_AS_MESSAGES = frozenset({"created", "replied", "noted"})


def register(router: Router, prefix: str) -> None:
    from . import ticket_forms  # it builds on `render_page` below

    router.add(f"{prefix}/tickets/<track_id>", "agent.ticket", show)
    ticket_forms.register(router, prefix)


def load_ticket(ctx: RequestContext, track_id: str) -> TicketOut:
    """The ticket as this agent may see it; another team's ticket is `NotFound` (404)."""
    return ctx.helpdesk.tickets.get_by_track_id(ctx.actor, track_id)


# ---------------------------------------------------------------- the page


def show(ctx: RequestContext, track_id: str) -> Response:
    """The page; `?canned=<id>` (the canned response picker, a GET form that needs no script)
    puts that response, filled in for this ticket, into the reply box."""
    ticket = load_ticket(ctx, track_id)
    reply = reply_form(ticket)
    chosen = ctx.request.query.get("canned")
    if chosen:
        reply.values["canned"] = chosen
        text = _canned_text(ctx, chosen, ticket)
        if text is None:
            reply.error("canned", _("That canned response does not exist any more."))
        else:
            reply.values["body"] = text
    return render_page(ctx, ticket, forms={"reply": reply})


def _canned_text(ctx: RequestContext, chosen: str, ticket: TicketOut) -> str | None:
    """The response filled in for this ticket; None for one that is gone (or another team's)."""
    if not chosen.isdigit() or len(chosen) > 18:
        return None
    try:
        return ctx.helpdesk.canned.render(ctx.actor, int(chosen), ticket.id)
    except NotFound:
        return None


def render_page(
    ctx: RequestContext,
    ticket: TicketOut,
    *,
    status: int = 200,
    forms: Mapping[str, Form] | None = None,
    stale: Iterable[str] = (),
    revealed: Mapping[int, str] | None = None,
) -> Response:
    """The ticket page. An action that failed passes its form back (errors and typed text in
    it); `stale` lists what others changed since the form was shown; `revealed` holds secure
    data an agent asked to see, shown in this response only."""
    helpdesk = ctx.helpdesk
    actor = ctx.actor
    staff = helpdesk.users.staff()
    thread = helpdesk.messages.thread(actor, ticket.id)
    trail = helpdesk.tickets.audit_trail(actor, ticket.id)
    template_fields = template_fields_of(ctx, ticket)
    # Any form name a partial asks for exists: an empty form unless an action passed it back.
    all_forms: defaultdict[str, Form] = defaultdict(Form)
    all_forms["reply"] = reply_form(ticket)
    all_forms["properties"] = properties_form(ticket, template_fields)
    all_forms.update(forms or {})
    kb_query = ctx.request.query.get("kb")[:200]
    values: dict[str, Any] = {
        "ticket": ticket,
        "seen": helpdesk.clock.now().astimezone(UTC).isoformat(),
        "stale": list(stale),
        "timeline": timeline(
            thread,
            trail,
            _names(ctx, ticket, staff, thread, trail),
            {u.email.lower(): u.display_name or u.email for u in staff},
            {f.key: f.label for f in template_fields},
        ),
        "deadlines": deadlines(ctx, ticket),
        "other_tickets": _other_tickets(ctx, ticket),
        "requester_queue_url": ctx.url(
            "agent.queue",
            view="all" if actor.kind is ActorKind.ADMIN else "teams",  # agents have no "all"
            requester=ticket.requester.email or ticket.requester.id,
        ),
        "canned_options": [("", _("Choose…"))]
        + [(str(c.id), c.title) for c in helpdesk.canned.list(actor)],
        "leave_as_options": _status_options(ticket.status, keep_label=True),
        "status_options": _status_options(ticket.status, keep_label=False),
        "priority_options": [(p.name.lower(), _(p.label)) for p in Priority],
        "team_options": ([] if ticket.team_id is not None else [("", _("No team"))])
        + [(str(i), name) for i, name in helpdesk.teams.names().items()],
        "assignee_options": [("", _("Nobody"))]
        + [(str(u.id), u.display_name or u.email) for u in staff],
        "template_fields": template_fields,
        "select_options": {
            f.key: [("", _("Choose…"))] + [(o, o) for o in f.options] for f in template_fields
        },
        "number_attrs": Markup('step="any" inputmode="decimal"'),
        "inline_types": INLINE_IMAGE_TYPES,
        "forms": all_forms,
        "kb_query": kb_query,
        "kb_links": link_choices(ctx, kb_query),
    }
    values.update(extras_context(ctx, ticket))
    values["revealed"] = dict(revealed or {})
    return ctx.render(TEMPLATE, status=status, **values)


# ---------------------------------------------------------------- the forms' starting values


def default_leave_as(ticket: TicketOut) -> Status:
    """After an answer the ticket usually waits on the customer; a finished ticket stays so."""
    if ticket.status in (Status.OPEN, Status.IN_PROGRESS):
        return Status.PENDING
    return ticket.status


def reply_form(ticket: TicketOut) -> Form:
    return Form({"body": "", "leave_as": default_leave_as(ticket).value})


def properties_form(ticket: TicketOut, fields: Iterable[TemplateFieldOut]) -> Form:
    values = {
        "status": ticket.status.value,
        "priority": ticket.priority.name.lower(),
        "team": str(ticket.team_id or ""),
        "assignee": str(ticket.assignee.id) if ticket.assignee else "",
    }
    for field in fields:
        values[f"cf_{field.key}"] = field_text(field, ticket.custom_fields.get(field.key))
    return Form(values)


def field_text(field: TemplateFieldOut, value: Any) -> str:
    """A stored custom field value as its input shows it (a ticked checkbox is "1")."""
    if field.type == "checkbox":
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _status_options(current: Status, *, keep_label: bool) -> list[tuple[str, str]]:
    """The current status first, then those the workflow allows next."""
    first = _("%(status)s (unchanged)", status=_(current.label)) if keep_label else _(current.label)
    return [(current.value, first)] + [
        (s.value, _(s.label)) for s in Status if s in TRANSITIONS[current]
    ]


def template_fields_of(ctx: RequestContext, ticket: TicketOut) -> list[TemplateFieldOut]:
    if ticket.template_id is None:
        return []
    try:
        return list(ctx.helpdesk.templates.get(ticket.template_id).fields)
    except NotFound:  # the template was deleted: its values still show in the timeline
        return []


# ---------------------------------------------------------------- the requester


def _other_tickets(ctx: RequestContext, ticket: TicketOut) -> list[TicketSummary]:
    found = ctx.helpdesk.tickets.list(
        ctx.actor,
        requester=ticket.requester.id,
        sort="created",
        per_page=OTHER_TICKETS_SHOWN + 1,
    )
    return [t for t in found.items if t.id != ticket.id][:OTHER_TICKETS_SHOWN]


# ---------------------------------------------------------------- SLA deadlines


@dataclass(frozen=True)
class Deadline:
    label: str
    due: datetime
    state: str  # on_track, at_risk, breached, paused or met: also the CSS class
    state_text: str
    when: str  # "due in 3 hours", "overdue by 2 hours", or how it ended


def deadlines(ctx: RequestContext, ticket: TicketOut) -> list[Deadline]:
    """Response-by and resolution-by as they stand now.

    The core stores the ticket's worst running state (refreshed on every change and by the SLA
    check); a deadline that has passed is breached whatever the check last said, and "at risk"
    is shown on the running deadline that comes first.
    """
    now = ctx.helpdesk.clock.now()
    locale = ctx.user.locale if ctx.user else "en"

    def span(delta: timedelta) -> str:
        return format_timedelta(delta, locale=locale)

    finished = ticket.status in FINISHED
    targets = [
        (
            _("Response by"),
            ticket.response_by,
            ticket.first_response_at,
            _("answered %(time)s"),
            False,
        ),
        (
            _("Resolution by"),
            ticket.resolution_by,
            ticket.resolved_at if finished else None,
            _("resolved %(time)s"),
            ticket.sla_paused,
        ),
    ]
    first_running = min(
        (
            due
            for _label, due, done, _text, paused in targets
            if due is not None and done is None and not finished and not paused and due > now
        ),
        default=None,
    )
    out = []
    for label, due, done, done_text, paused in targets:
        if due is None or (finished and done is None):
            continue
        if done is not None:
            met = done <= due
            out.append(
                Deadline(
                    label,
                    due,
                    "met" if met else "breached",
                    _("Met") if met else _("Breached"),
                    done_text % {"time": format_when(done)},
                )
            )
        elif due <= now:
            out.append(
                Deadline(
                    label,
                    due,
                    "breached",
                    _("Breached"),
                    _("overdue by %(time)s", time=span(now - due)),
                )
            )
        elif paused:
            out.append(
                Deadline(
                    label,
                    due,
                    "paused",
                    _("Paused"),
                    _("waiting on the customer: the clock stopped"),
                )
            )
        else:
            at_risk = ticket.sla_state == "at_risk" and due == first_running
            out.append(
                Deadline(
                    label,
                    due,
                    "at_risk" if at_risk else "on_track",
                    _("At risk") if at_risk else _("On track"),
                    _("due in %(time)s", time=span(due - now)),
                )
            )
    return out


# ---------------------------------------------------------------- the timeline


@dataclass(frozen=True)
class Entry:
    """One item of the timeline: a message of the thread, or one line of the audit trail."""

    at: datetime
    message: MessageOut | None = None
    line: str = ""


def _names(
    ctx: RequestContext,
    ticket: TicketOut,
    staff: Iterable[UserOut],
    thread: Iterable[MessageOut],
    trail: Iterable[AuditOut],
) -> dict[int, str]:
    """Who did what, by user id: staff, the requester and the thread's authors are known
    already; anyone else in the trail (a deactivated agent, say) is looked up, once each."""
    names = {u.id: u.display_name or u.email for u in staff}
    names[ticket.requester.id] = ticket.requester.display_name or ticket.requester.email or ""
    for message in thread:
        if message.author is not None:
            names.setdefault(
                message.author.id, message.author.display_name or message.author.email or ""
            )
    for user_id in {e.actor_id for e in trail if e.actor_id is not None} - names.keys():
        try:
            user = ctx.helpdesk.users.get(user_id)
        except NotFound:  # the account was deleted: the line says "Someone"
            continue
        names[user_id] = user.display_name or user.email
    return names


def timeline(
    thread: Iterable[MessageOut],
    trail: Iterable[AuditOut],
    names: dict[int, str],
    staff_by_email: Mapping[str, str],
    field_labels: Mapping[str, str],
) -> list[Entry]:
    """Messages and changes in the order they happened; at the same moment the message comes
    first (a reply that changes the status reads "replied, then changed the status")."""
    entries = [(m.created_at, 0, m.id, Entry(m.created_at, message=m)) for m in thread]
    trail = list(trail)
    opened = next((e.created_at for e in trail if e.action == "created"), None)
    first_assignment = next((e for e in trail if e.field == "assignee"), None)
    for event in trail:
        if event.action in SHOWN_AS_MESSAGES:
            continue
        if (
            event is first_assignment
            and event.old_value is None
            and event.new_value
            and event.created_at == opened
        ):
            # Recorded in the creator's name, but the assignment rules chose: say it so.
            assignee = staff_by_email.get(event.new_value.lower(), event.new_value)
            line = _("Assigned to %(new)s when the ticket was opened", new=assignee)
        else:
            line = describe(event, _who(event, names), staff_by_email, field_labels)
        entries.append((event.created_at, 1, event.id, Entry(event.created_at, line=line)))
    return [entry for *_key, entry in sorted(entries, key=lambda e: e[:3])]


def _who(event: AuditOut, names: dict[int, str]) -> str:
    if event.actor_id is not None and event.actor_id in names:
        return names[event.actor_id] or _("Someone")
    if event.actor_kind == "system":
        return _("The system")
    return _("Someone")


def describe(
    event: AuditOut,
    who: str,
    staff_by_email: Mapping[str, str],
    field_labels: Mapping[str, str],
) -> str:
    """One audit record in words: "Ann changed the status from Open to Pending"."""
    old, new = event.old_value, event.new_value
    if event.action == "changed":
        return _describe_change(event.field or "", who, old, new, staff_by_email, field_labels)
    sentences = {
        "rated": _("%(who)s rated the ticket %(new)s/5"),
        "task_linked": _("%(who)s linked the task “%(new)s”"),
        "task_unlinked": _("%(who)s unlinked the task “%(old)s”"),
        "secure_data_sent": _("%(who)s sent secure data: %(new)s"),
        "secure_data_revealed": _("%(who)s revealed the secure data “%(new)s”"),
        "secure_data_purged": _("%(who)s purged the secure data “%(new)s”"),
        "document_received": _("%(who)s sent the awaited document: %(new)s"),
        "merged_into": _("%(who)s merged this ticket into %(new)s"),
        "merged_from": _("%(who)s merged %(new)s into this ticket"),
    }
    template = sentences.get(event.action)
    if template is not None:
        return template % {"who": who, "old": old or "", "new": new or ""}
    return _(
        "%(who)s: %(action)s %(detail)s", who=who, action=event.action, detail=_arrow(old, new)
    )


def _describe_change(
    field: str,
    who: str,
    old: str | None,
    new: str | None,
    staff_by_email: Mapping[str, str],
    field_labels: Mapping[str, str],
) -> str:
    if field == "status":
        return _(
            "%(who)s changed the status from %(old)s to %(new)s",
            who=who,
            old=_status_label(old),
            new=_status_label(new),
        )
    if field == "assignee":
        if new is None:
            return _("%(who)s unassigned the ticket", who=who)
        return _(
            "%(who)s assigned the ticket to %(new)s",
            who=who,
            new=staff_by_email.get(new.lower(), new),
        )
    if field == "cc":
        if new is None:
            return _("%(who)s stopped copying %(old)s", who=who, old=old or "")
        return _("%(who)s copied %(new)s on the ticket", who=who, new=new)
    if field == "is_public":
        if new == "True":
            return _("%(who)s made the ticket public", who=who)
        return _("%(who)s made the ticket private", who=who)
    labels = {
        "priority": _("the priority"),
        "team": _("the team"),
        "subject": _("the subject"),
        "organization": _("the organization"),
    }
    if field.startswith("custom_fields."):
        key = field.removeprefix("custom_fields.")
        name = field_labels.get(key, key)
        yes_no = {"True": _("Yes"), "False": _("No")}  # how a checkbox field is stored
        old, new = yes_no.get(old or "", old), yes_no.get(new or "", new)
    else:
        name = labels.get(field, field)
    return _("%(who)s changed %(field)s %(change)s", who=who, field=name, change=_arrow(old, new))


def _status_label(value: str | None) -> str:
    try:
        return _(Status(value or "").label)
    except ValueError:  # a status a plugin or an older version wrote
        return value or "—"


def _arrow(old: str | None, new: str | None) -> str:
    if old in (None, ""):
        return _("to %(new)s", new=new or "—")
    if new in (None, ""):
        return _("from %(old)s to nothing", old=old)
    return _("from %(old)s to %(new)s", old=old, new=new)
