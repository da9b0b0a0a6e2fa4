"""Attachment downloads, below the ticket they belong to, so `visible_ticket` decides who may
have them exactly as it decides who may see the page.

Files come from customers and strangers on the internet: only raster images are ever shown in
the browser (`?inline=1`); everything else, SVG and HTML included, downloads as opaque bytes in
a sandbox, so a file can never run script on the portal's origin.
"""

from __future__ import annotations

from urllib.parse import quote

from ...errors import NotFound
from ..context import RequestContext
from ..http import Response
from ..routing import Router
from .ticket_page import INLINE_IMAGE_TYPES, visible_ticket


def register(router: Router) -> None:
    router.add(
        "/tickets/<track_id>/attachments/<int:attachment_id>/<filename>",
        "attachments.download",
        download,
    )


def download(ctx: RequestContext, track_id: str, attachment_id: int, filename: str) -> Response:
    """`filename` is only there for the browser's sake: the id decides which file it is."""
    actor, ticket = visible_ticket(ctx, track_id)
    on_this_ticket = {
        a.id
        for message in ctx.helpdesk.messages.thread(actor, ticket.id)
        if not message.is_internal
        for a in message.attachments
    }
    if attachment_id not in on_this_ticket:
        raise NotFound(f"no attachment {attachment_id} on {ticket.track_id}")
    attachment, content = ctx.helpdesk.attachments.get(actor, attachment_id)
    image = attachment.content_type in INLINE_IMAGE_TYPES
    disposition = "inline" if image and ctx.request.query.get("inline") == "1" else "attachment"
    return Response(
        body=content,
        content_type=attachment.content_type if image else "application/octet-stream",
        headers=[
            (
                "Content-Disposition",
                f"{disposition}; filename*=UTF-8''{quote(attachment.filename, safe='')}",
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "sandbox"),
            ("Cache-Control", "private, no-store"),
        ],
    )
