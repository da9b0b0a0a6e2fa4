"""The side work on an agent's ticket page: its tasks, merging it into another ticket, the people
copied on it, and the secure data the customer sent.

The ticket page (`ticket.py`) asks `extras_context` for what these sections show, and each form
here posts back to one of the routes below. Success redirects to the ticket page with a one-line
message; a form with something typed in it that the core refused comes back in the page (400),
the message beside its field and the text kept, as everywhere else on the page. Every action
loads the ticket as the agent sees it first, so a ticket outside the agent's reach is a 404
before anything is read from the form.

A revealed secret is rendered into the one response that revealed it and stored nowhere (not in
the session, not in a URL): reloading the page hides it again.
"""

from __future__ import annotations

from typing import Any

from ....errors import Conflict, InvalidInput, NotFound
from ....schemas import TicketOut
from ....workflow import Status
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _
from .tasks import read_task_form

MERGE_CANDIDATES = 20  # the requester's other tickets offered in the merge select
# A merged ticket is always closed, and list rows do not say which closed ones were merged: the
# select offers the unclosed ones, and a closed ticket can still be named by its track ID.
MERGE_STATUSES = [s for s in Status if s is not Status.CLOSED]


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/tickets/<track_id>"
    post = ("POST",)
    router.add(f"{base}/tasks", "agent.ticket_task_create", task_create, post)
    router.add(f"{base}/tasks/link", "agent.ticket_task_link", task_link, post)
    router.add(f"{base}/tasks/<int:task_id>/unlink", "agent.ticket_task_unlink", task_unlink, post)
    router.add(f"{base}/merge", "agent.ticket_merge", merge, post)
    router.add(f"{base}/cc", "agent.ticket_cc_add", cc_add, post)
    router.add(f"{base}/cc/remove", "agent.ticket_cc_remove", cc_remove, post)
    router.add(
        f"{base}/secure-data/<int:item_id>/reveal",
        "agent.ticket_secure_reveal",
        secure_reveal,
        post,
    )
    router.add(
        f"{base}/secure-data/<int:item_id>/purge", "agent.ticket_secure_purge", secure_purge, post
    )


def extras_context(ctx: RequestContext, ticket: TicketOut) -> dict[str, Any]:
    """What the tasks, merge, CC and secure data sections of the page show: at most four core
    calls, however many tasks, tickets and entries there are."""
    helpdesk, actor = ctx.helpdesk, ctx.actor
    tasks = helpdesk.tasks.for_ticket(actor, ticket.id)
    linked = {task.id for task in tasks}
    candidates = []
    if ticket.merged_into_track_id is None:
        found = helpdesk.tickets.list(
            actor,
            requester=ticket.requester.id,
            status=MERGE_STATUSES,
            per_page=MERGE_CANDIDATES,
        )
        candidates = [t for t in found.items if t.id != ticket.id]
    secure_enabled = helpdesk.secure_data.enabled
    return {
        "tasks": tasks,
        "open_tasks": [t for t in helpdesk.tasks.list(actor, done=False) if t.id not in linked],
        "merge_candidates": candidates,
        "secure_enabled": secure_enabled,
        "secure_items": helpdesk.secure_data.list(actor, ticket.id) if secure_enabled else [],
    }


# ---------------------------------------------------------------- helpers


def _ticket(ctx: RequestContext, track_id: str) -> TicketOut:
    """The ticket as the agent sees it; `NotFound` (404) outside their reach."""
    return ctx.helpdesk.tickets.get_by_track_id(ctx.actor, track_id)


def _back(ctx: RequestContext, ticket: TicketOut) -> Response:
    return ctx.redirect("agent.ticket", track_id=ticket.track_id)


def _again(ctx: RequestContext, ticket: TicketOut, name: str, form: Form) -> Response:
    """The page once more, with the refused form as it was typed and its messages."""
    from .ticket import render_page  # `ticket.py` imports this module: import on use

    return render_page(ctx, ticket, status=400, forms={name: form})


def _require_secure_data(ctx: RequestContext) -> None:
    if not ctx.helpdesk.secure_data.enabled:
        raise NotFound("secure data is switched off")


# ---------------------------------------------------------------- tasks


def task_create(ctx: RequestContext, track_id: str) -> Response:
    ticket = _ticket(ctx, track_id)
    form = ctx.form()
    values = read_task_form(form)
    if form.ok:
        try:
            task = ctx.helpdesk.tasks.create(ctx.actor, **values, ticket=ticket.id)
        except InvalidInput as exc:
            form.absorb(exc, shown=("title", "due_on"))
        else:
            ctx.flash(_("Task “%(title)s” added to this ticket.", title=task.title))
            return _back(ctx, ticket)
    return _again(ctx, ticket, "ticket_task", form)


def task_link(ctx: RequestContext, track_id: str) -> Response:
    ticket = _ticket(ctx, track_id)
    chosen = ctx.request.form.get("task")
    if not chosen.isdigit() or len(chosen) > 18:
        ctx.flash(_("Choose the task to link."), "error")
        return _back(ctx, ticket)
    task = ctx.helpdesk.tasks.link(ctx.actor, int(chosen), ticket.id)
    ctx.flash(_("Task “%(title)s” linked to this ticket.", title=task.title))
    return _back(ctx, ticket)


def task_unlink(ctx: RequestContext, track_id: str, task_id: int) -> Response:
    ticket = _ticket(ctx, track_id)
    try:
        task = ctx.helpdesk.tasks.unlink(ctx.actor, task_id, ticket.id)
    except InvalidInput:
        ctx.flash(_("That task is not linked to this ticket."), "error")
    else:
        ctx.flash(_("Task “%(title)s” is no longer linked to this ticket.", title=task.title))
    return _back(ctx, ticket)


# ---------------------------------------------------------------- merging


def merge(ctx: RequestContext, track_id: str) -> Response:
    """Move this ticket's thread into another and close it; the agent names the target by
    track ID or number, or picks one of the requester's other tickets."""
    ticket = _ticket(ctx, track_id)
    form = ctx.form()
    wanted = form["into"].strip() or form["candidate"].strip()
    if not wanted:
        form.error("into", _("Name the ticket to merge this one into."))
    if form["confirm"] != "1":
        form.error("confirm", _("Tick this box to merge: merging cannot be undone."))
    if not form.ok:
        return _again(ctx, ticket, "merge", form)
    try:
        target = _find_ticket(ctx, wanted)
        merged = ctx.helpdesk.tickets.merge(ctx.actor, ticket.id, target.id)
    except NotFound:
        form.error("into", _("There is no ticket %(into)s, or you may not see it.", into=wanted))
    except InvalidInput as exc:
        form.absorb(exc, shown=("into",))
    except Conflict as exc:
        form.error("", str(exc))
    else:
        ctx.flash(
            _("Ticket #%(source)s was merged into this ticket, and closed.", source=ticket.number)
        )
        return ctx.redirect("agent.ticket", track_id=merged.track_id)
    return _again(ctx, ticket, "merge", form)


def _find_ticket(ctx: RequestContext, wanted: str) -> TicketOut:
    """A ticket by "#123", "123" or its track ID, as the agent may see it."""
    number = wanted.removeprefix("#").strip()
    if number.isdigit() and len(number) <= 18:
        return ctx.helpdesk.tickets.get_by_number(ctx.actor, int(number))
    return ctx.helpdesk.tickets.get_by_track_id(ctx.actor, wanted)


# ---------------------------------------------------------------- copied people


def cc_add(ctx: RequestContext, track_id: str) -> Response:
    ticket = _ticket(ctx, track_id)
    form = ctx.form()
    try:
        changed = ctx.helpdesk.tickets.add_cc(ctx.actor, ticket.id, form["email"])
    except InvalidInput as exc:
        form.absorb(exc, shown=("email",))
        return _again(ctx, ticket, "ticket_cc", form)
    added = next((e for e in changed.cc if e not in ticket.cc), form["email"].strip())
    ctx.flash(_("%(email)s is copied on this ticket now.", email=added))
    return _back(ctx, ticket)


def cc_remove(ctx: RequestContext, track_id: str) -> Response:
    ticket = _ticket(ctx, track_id)
    email = ctx.request.form.get("email").strip()
    try:
        ctx.helpdesk.tickets.remove_cc(ctx.actor, ticket.id, email)
    except InvalidInput:
        ctx.flash(_("%(email)s is not copied on this ticket.", email=email), "error")
    else:
        ctx.flash(_("%(email)s is no longer copied on this ticket.", email=email))
    return _back(ctx, ticket)


# ---------------------------------------------------------------- secure data


def secure_reveal(ctx: RequestContext, track_id: str, item_id: int) -> Response:
    """The page with the secret in clear, in this one response (the core audits the reveal)."""
    from .ticket import render_page  # `ticket.py` imports this module: import on use

    _require_secure_data(ctx)
    ticket = _ticket(ctx, track_id)
    try:
        secret = ctx.helpdesk.secure_data.reveal(ctx.actor, ticket.id, item_id)
    except Conflict:
        ctx.flash(_("This secure data was purged: there is nothing left to reveal."), "error")
        return _back(ctx, ticket)
    return render_page(ctx, ticket, revealed={item_id: secret})


def secure_purge(ctx: RequestContext, track_id: str, item_id: int) -> Response:
    _require_secure_data(ctx)
    ticket = _ticket(ctx, track_id)
    if ctx.helpdesk.secure_data.purge(ctx.actor, ticket.id, item_id):
        ctx.flash(_("The secure data was purged. Its label stays, the secret is gone."))
    else:
        ctx.flash(_("This secure data was already purged."), "info")
    return _back(ctx, ticket)
