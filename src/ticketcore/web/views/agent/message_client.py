"""Message Client: an agent starts a conversation with a chosen customer — a general message
or a request for a document — which the customer answers from their support page."""

from __future__ import annotations

from ....errors import InvalidInput
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

TEMPLATE = "ticketcore/agent/message_client.html"
FIELDS = ("customer", "type", "subject", "body", "awaited_document", "team", "attachments")


def register(router: Router, prefix: str) -> None:
    router.add(f"{prefix}/message", "agent.message", message_client, methods=("GET", "POST"))


def message_client(ctx: RequestContext) -> Response:
    form = ctx.form(customer=ctx.request.query.get("customer")[:320], type="general")
    if ctx.request.method != "POST":
        return _render(ctx, form)
    files = ctx.request.uploads("attachments")
    kind = form["type"] if form["type"] in ("general", "document_request") else "general"
    if kind == "document_request" and not form["awaited_document"].strip():
        form.error("awaited_document", _("Say which document the customer should send."))
        return _render(ctx, form, status=400, files_lost=bool(files))
    try:
        started = ctx.helpdesk.conversations.start(
            ctx.actor,
            customer=form["customer"].strip(),
            type=kind,
            subject=form["subject"].strip(),
            body=form["body"],
            awaited_document=form["awaited_document"].strip() or None
            if kind == "document_request"
            else None,
            team=form["team"] or None,
            attachments=files,
        )
    except InvalidInput as exc:
        form.absorb(exc, shown=FIELDS)
        return _render(ctx, form, status=400, files_lost=bool(files))
    ctx.flash(
        _("Document request sent to the customer.")
        if kind == "document_request"
        else _("Message sent to the customer.")
    )
    return ctx.redirect("agent.ticket", track_id=started.track_id)


def _render(
    ctx: RequestContext, form: Form, status: int = 200, files_lost: bool = False
) -> Response:
    return ctx.render(
        TEMPLATE,
        status=status,
        form=form,
        team_options=[("", _("Default team"))]
        + [(str(i), name) for i, name in ctx.helpdesk.teams.names().items()],
        files_lost=files_lost,
    )
