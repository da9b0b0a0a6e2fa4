"""What a customer does on their ticket page: reply, close or resolve, copy people in, make it
public, rate it, and send secure data.

Each action loads the ticket through `visible_ticket`, so an invisible ticket is a 404 here too.
A ticket the actor can see but may not change gets a message instead of a 404: the page is in
front of them, pretending it is not there would only confuse. Typing mistakes re-render the
page (400) with the text kept; a secret is never sent back to the browser.
"""

from __future__ import annotations

from ...errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ...workflow import FINISHED
from ..context import RequestContext
from ..http import Response, redirect
from ..routing import Router
from ..templating import gettext_ as _
from .ticket_page import render_page, visible_ticket


def register(router: Router) -> None:
    post = ("POST",)
    router.add("/tickets/<track_id>/reply", "tickets.reply", reply, post)
    router.add("/tickets/<track_id>/close", "tickets.close", close, post)
    router.add("/tickets/<track_id>/cc", "tickets.cc_add", cc_add, post)
    router.add("/tickets/<track_id>/cc/remove", "tickets.cc_remove", cc_remove, post)
    router.add("/tickets/<track_id>/public", "tickets.set_public", set_public, post)
    router.add("/tickets/<track_id>/rate", "tickets.rate", rate, post)
    router.add("/tickets/<track_id>/secure-data", "tickets.secure_data", secure_data, post)


def _messages(exc: InvalidInput) -> str:
    return " ".join(m for messages in exc.errors.values() for m in messages)


def _back(ctx: RequestContext, track_id: str) -> Response:
    return ctx.redirect("tickets.show", track_id=track_id)


def reply(ctx: RequestContext, track_id: str) -> Response:
    actor, ticket = visible_ticket(ctx, track_id)
    form = ctx.form()
    page = ctx.url("tickets.show", track_id=ticket.track_id)
    wanted = form["next"]
    target = ctx.safe_next(wanted, page) if wanted else page
    if wanted and target != wanted:
        form.values.pop("next")  # never offered again as a place to go
    finished = ticket.status in FINISHED
    policy = ctx.helpdesk.settings.reply_on_closed
    if finished and policy == "refuse":
        form.error("", _("This ticket is closed. Open a new ticket if you need more help."))
        return render_page(ctx, actor, ticket, status=400, forms={"reply": form})
    if not form["body"].strip():
        form.error("body", _("Write your reply before sending it."))
        return render_page(ctx, actor, ticket, status=400, forms={"reply": form})
    try:
        ctx.helpdesk.messages.reply(
            actor, ticket.id, body=form["body"], attachments=ctx.request.uploads("attachments")
        )
    except PermissionDenied:
        ctx.flash(_("You cannot reply to this ticket."), "error")
        return redirect(page)
    except InvalidInput as exc:
        form.absorb(exc, shown=["body", "attachments"])
        fresh = ctx.helpdesk.tickets.get(actor, ticket.id)  # it may have closed meanwhile
        return render_page(ctx, actor, fresh, status=400, forms={"reply": form})
    if finished and policy == "reopen":
        ctx.flash(_("Your reply was sent and the ticket is open again."))
    else:
        ctx.flash(_("Your reply was sent."))
    return redirect(target)


def close(ctx: RequestContext, track_id: str) -> Response:
    actor, ticket = visible_ticket(ctx, track_id)
    resolved = ctx.request.form.get("resolved") == "1"
    try:
        ctx.helpdesk.tickets.close(actor, ticket.id, resolved=resolved)
    except PermissionDenied:
        ctx.flash(_("You cannot close this ticket."), "error")
    except InvalidInput as exc:
        ctx.flash(_("The ticket was not changed: %(reason)s", reason=_messages(exc)), "error")
    else:
        ctx.flash(_("The ticket is resolved.") if resolved else _("The ticket is closed."))
    return _back(ctx, ticket.track_id)


def cc_add(ctx: RequestContext, track_id: str) -> Response:
    actor, ticket = visible_ticket(ctx, track_id)
    form = ctx.form()
    try:
        changed = ctx.helpdesk.tickets.add_cc(actor, ticket.id, form["email"])
    except PermissionDenied:
        ctx.flash(_("You cannot change who is copied on this ticket."), "error")
        return _back(ctx, ticket.track_id)
    except InvalidInput as exc:
        form.absorb(exc, shown=["email"])
        return render_page(ctx, actor, ticket, status=400, forms={"cc": form})
    added = next((e for e in changed.cc if e not in ticket.cc), form["email"].strip())
    ctx.flash(_("%(email)s is copied on this ticket now.", email=added))
    return _back(ctx, ticket.track_id)


def cc_remove(ctx: RequestContext, track_id: str) -> Response:
    actor, ticket = visible_ticket(ctx, track_id)
    email = ctx.request.form.get("email").strip()
    try:
        ctx.helpdesk.tickets.remove_cc(actor, ticket.id, email)
    except PermissionDenied:
        ctx.flash(_("You cannot change who is copied on this ticket."), "error")
    except InvalidInput:
        ctx.flash(_("%(email)s is not copied on this ticket.", email=email), "error")
    else:
        ctx.flash(_("%(email)s is no longer copied on this ticket.", email=email))
    return _back(ctx, ticket.track_id)


def set_public(ctx: RequestContext, track_id: str) -> Response:
    if not ctx.helpdesk.settings.public_tickets:
        raise NotFound("public tickets are switched off")
    actor, ticket = visible_ticket(ctx, track_id)
    public = ctx.request.form.get("public") == "1"
    try:
        ctx.helpdesk.tickets.set_public(actor, ticket.id, public)
    except (PermissionDenied, InvalidInput):
        ctx.flash(_("You cannot change who may read this ticket."), "error")
    else:
        ctx.flash(_("This ticket is public now.") if public else _("This ticket is private now."))
    return _back(ctx, ticket.track_id)


def rate(ctx: RequestContext, track_id: str) -> Response:
    actor, ticket = visible_ticket(ctx, track_id)
    form = ctx.form()
    if ticket.status not in FINISHED:
        ctx.flash(_("You can rate a ticket once it is resolved."), "error")
        return _back(ctx, ticket.track_id)
    if form["rating"] not in ("1", "2", "3", "4", "5"):
        form.error("rating", _("Choose a rating from 1 to 5."))
        return render_page(ctx, actor, ticket, status=400, forms={"rate": form})
    try:
        ctx.helpdesk.tickets.rate(actor, ticket.id, rating=form["rating"], comment=form["comment"])
    except Conflict:
        ctx.flash(_("You have already rated this ticket."), "error")
    except PermissionDenied:
        ctx.flash(_("You cannot rate this ticket."), "error")
    except InvalidInput as exc:
        form.absorb(exc, shown=["rating", "comment"])
        return render_page(ctx, actor, ticket, status=400, forms={"rate": form})
    else:
        ctx.flash(_("Thank you for your rating."))
    return _back(ctx, ticket.track_id)


def secure_data(ctx: RequestContext, track_id: str) -> Response:
    if not ctx.helpdesk.secure_data.enabled:
        raise NotFound("secure data is switched off")
    actor, ticket = visible_ticket(ctx, track_id)
    form = ctx.form()
    secret = form.values.pop("secret", "")  # never rendered again, whatever happens
    try:
        ctx.helpdesk.secure_data.send(actor, ticket.id, label=form["label"], secret=secret)
    except PermissionDenied:
        ctx.flash(_("You cannot send secure data on this ticket."), "error")
    except Conflict:
        ctx.flash(_("Secure data cannot be sent on a closed ticket."), "error")
    except InvalidInput as exc:
        form.absorb(exc, shown=["label", "secret"])
        return render_page(ctx, actor, ticket, status=400, forms={"secure": form})
    else:
        ctx.flash(_("Your secure data was sent. Only the support team can read it."))
    return _back(ctx, ticket.track_id)
