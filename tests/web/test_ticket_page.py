"""The customer's ticket page: the conversation, replies with files, closing and resolving,
rating, CCs, public tickets, secure data, and the guest's secret link."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from ticketcore.models import OutboxMessage
from ticketcore.workflow import Status

# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def page_url(track_id: str, action: str = "") -> str:
    return f"/support/tickets/{track_id}" + (f"/{action}" if action else "")


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def open_ticket(web: SimpleNamespace, who: str = "carol", **fields: Any) -> Any:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("body", "It *smokes* since this morning.")
    actor = getattr(web.cast, f"{who}_actor")
    return web.helpdesk.tickets.create(actor, **fields).ticket


def status_of(web: SimpleNamespace, ticket: Any) -> Status:
    return web.helpdesk.tickets.get(web.cast.system, ticket.id).status  # type: ignore[no-any-return]


def thread_bodies(web: SimpleNamespace, ticket: Any) -> list[str]:
    return [m.body for m in web.helpdesk.messages.thread(web.cast.system, ticket.id)]


# ---------------------------------------------------------------- the conversation


def test_a_whole_conversation(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Please **unplug** it first.")
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "NOTE-7731: this customer calls a lot")
    carol = logged_in(web, cast.carol)

    page = carol.get(page_url(ticket.track_id))
    assert page.status == 200
    assert "Printer on fire" in page.text and ticket.track_id in page.text
    assert "tc-status-open" in page.text
    assert "<em>smokes</em>" in page.text  # the core's sanitized HTML
    assert "<strong>unplug</strong>" in page.text
    staff = re.search(r'<li class="tc-message tc-message-staff".*?</li>', page.text, re.S)
    assert staff is not None and "Ann" in staff.group(0) and "Support team" in staff.group(0)
    assert "NOTE-7731" not in page.text
    assert page.text.index("smokes") < page.text.index("unplug")  # oldest first

    answer = carol.post(
        page_url(ticket.track_id, "reply"),
        {"body": "Unplugged. Photo and receipt attached."},
        files=[
            ("attachments", "smoke.png", PNG, "image/png"),
            ("attachments", "receipt.pdf", PDF, "application/pdf"),
        ],
    )
    assert answer.status == 200
    assert "Your reply was sent." in answer.text
    assert "Unplugged. Photo and receipt attached." in answer.text
    image, receipt = helpdesk.messages.thread(cast.carol_actor, ticket.id)[-1].attachments
    image_url = f"{page_url(ticket.track_id)}/attachments/{image.id}/smoke.png"
    receipt_url = f"{page_url(ticket.track_id)}/attachments/{receipt.id}/receipt.pdf"
    assert f'<img src="{image_url}?inline=1"' in answer.text
    assert f'<img src="{receipt_url}' not in answer.text
    assert f'href="{receipt_url}"' in answer.text and "receipt.pdf" in answer.text

    shown = carol.get(image_url + "?inline=1")
    assert shown.status == 200 and shown.body == PNG
    assert shown.content_type == "image/png"
    assert shown.header("Content-Disposition") == "inline; filename*=UTF-8''smoke.png"
    saved = carol.get(receipt_url)
    assert saved.status == 200 and saved.body == PDF
    assert saved.content_type == "application/octet-stream"
    assert saved.header("Content-Disposition") == "attachment; filename*=UTF-8''receipt.pdf"
    assert saved.header("Cache-Control") == "private, no-store"
    forced = carol.get(receipt_url + "?inline=1").header("Content-Disposition")
    assert forced is not None and forced.startswith("attachment;")


def test_close_and_resolve(web: SimpleNamespace) -> None:
    first, second = open_ticket(web), open_ticket(web, subject="Second")
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(first.track_id))
    assert "Close ticket" in page.text and "Mark as resolved" in page.text

    done = carol.post(page_url(first.track_id, "close"), {"resolved": "1"})
    assert "The ticket is resolved." in done.text
    assert status_of(web, first) is Status.RESOLVED
    assert "Mark as resolved" not in done.text and "Close ticket" not in done.text
    assert "Replying reopens this ticket." in done.text

    closed = carol.post(page_url(second.track_id, "close"), {"resolved": "0"})
    assert "The ticket is closed." in closed.text
    assert status_of(web, second) is Status.CLOSED
    again = carol.post(page_url(second.track_id, "close"), {})
    assert again.status == 200 and "The ticket was not changed" in again.text


def test_a_reply_reopens_a_resolved_ticket(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    web.helpdesk.tickets.close(web.cast.ann_actor, ticket.id, resolved=True)
    carol = logged_in(web, web.cast.carol)
    page = carol.post(page_url(ticket.track_id, "reply"), {"body": "It smokes again"})
    assert "Your reply was sent and the ticket is open again." in page.text
    assert status_of(web, ticket) is Status.OPEN


def test_reply_errors_keep_the_text(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(max_attachment_bytes=100)
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    empty = carol.post(page_url(ticket.track_id, "reply"), {"body": "   "})
    assert empty.status == 400
    assert 'id="body-error"' in empty.text and "Write your reply before sending it." in empty.text

    too_big = carol.post(
        page_url(ticket.track_id, "reply"),
        {"body": "My words & thoughts"},
        files=[("attachments", "big.pdf", PDF * 10, "application/pdf")],
    )
    assert too_big.status == 400
    assert "My words &amp; thoughts</textarea>" in too_big.text
    assert 'id="attachments-error"' in too_big.text and "big.pdf" in too_big.text
    assert len(thread_bodies(web, ticket)) == 1


def test_quick_reply_goes_back_to_the_list(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    sent = carol.post(
        page_url(ticket.track_id, "reply"),
        {"body": "Quick one", "next": "/support/tickets?show=active"},
        follow=False,
    )
    assert sent.status == 303 and sent.location == "/support/tickets?show=active"
    failed = carol.post(
        page_url(ticket.track_id, "reply"), {"body": "", "next": "/support/tickets"}
    )
    assert failed.status == 400 and 'name="next" value="/support/tickets"' in failed.text
    assert thread_bodies(web, ticket)[-1] == "Quick one"


def test_rating_once(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    assert "How did we do?" not in carol.get(page_url(ticket.track_id)).text  # not yet
    web.helpdesk.tickets.close(web.cast.ann_actor, ticket.id, resolved=True)
    page = carol.get(page_url(ticket.track_id))
    assert "<legend>How did we do?</legend>" in page.text
    for word in ("5 – Excellent", "4 – Good", "3 – Fair", "2 – Poor", "1 – Very poor"):  # noqa: RUF001
        assert word in page.text
    assert '<label for="f-comment">Comment</label>' in page.text

    missing = carol.post(page_url(ticket.track_id, "rate"), {"comment": "no stars"})
    assert missing.status == 400 and "Choose a rating from 1 to 5." in missing.text
    assert "no stars</textarea>" in missing.text

    rated = carol.post(
        page_url(ticket.track_id, "rate"), {"rating": "4", "comment": "Quick & kind"}
    )
    assert "Thank you for your rating." in rated.text
    assert "You rated this ticket 4/5" in rated.text and "Quick &amp; kind" in rated.text
    assert "Send rating" not in rated.text

    again = carol.post(page_url(ticket.track_id, "rate"), {"rating": "1"})
    assert "You have already rated this ticket." in again.text
    feedback = web.helpdesk.tickets.feedback(web.cast.carol_actor, ticket.id)
    assert feedback is not None and feedback.rating == 4


def test_reply_on_closed_refused(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(reply_on_closed="refuse")
    ticket = open_ticket(web)
    web.helpdesk.tickets.close(web.cast.ann_actor, ticket.id)
    carol = logged_in(web, web.cast.carol)
    notice = "This ticket is closed. Open a new ticket if you need more help."
    page = carol.get(page_url(ticket.track_id))
    assert notice in page.text and 'href="/support/tickets/new"' in page.text
    assert 'name="body"' not in page.text
    refused = carol.post(page_url(ticket.track_id, "reply"), {"body": "Hello?"})
    assert refused.status == 400 and notice in refused.text
    assert thread_bodies(web, ticket) == ["It *smokes* since this morning."]
    assert status_of(web, ticket) is Status.CLOSED


def test_cc_add_and_remove(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(ticket.track_id))
    assert '<label for="f-email">Add a CC recipient' in page.text

    bad = carol.post(page_url(ticket.track_id, "cc"), {"email": "not an address"})
    assert bad.status == 400
    assert 'value="not an address"' in bad.text and 'id="email-error"' in bad.text

    added = carol.post(page_url(ticket.track_id, "cc"), {"email": "Boss@Example.com"})
    assert "is copied on this ticket now." in added.text
    copied = web.helpdesk.tickets.get(web.cast.system, ticket.id).cc
    assert [c.lower() for c in copied] == ["boss@example.com"]
    assert f"Remove {copied[0]}" in added.text

    removed = carol.post(page_url(ticket.track_id, "cc/remove"), {"email": copied[0]})
    assert "is no longer copied on this ticket." in removed.text
    assert web.helpdesk.tickets.get(web.cast.system, ticket.id).cc == []
    unknown = carol.post(page_url(ticket.track_id, "cc/remove"), {"email": "x@example.com"})
    assert "x@example.com is not copied on this ticket." in unknown.text


def test_public_toggle(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(public_tickets=True)
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    anonymous = web.client()
    assert anonymous.get(page_url(ticket.track_id)).status == 404
    page = carol.post(page_url(ticket.track_id, "public"), {"public": "1"})
    assert "This ticket is public now." in page.text and "Make private" in page.text
    assert web.helpdesk.tickets.get(web.cast.system, ticket.id).is_public

    read_only = anonymous.get(page_url(ticket.track_id))
    assert read_only.status == 200 and "Printer on fire" in read_only.text
    assert 'name="body"' not in read_only.text and "Close ticket" not in read_only.text
    assert "carol@acme.example.com" not in read_only.text
    refused = anonymous.post(page_url(ticket.track_id, "reply"), {"body": "hi"})
    assert "You cannot reply to this ticket." in refused.text
    assert thread_bodies(web, ticket) == ["It *smokes* since this morning."]

    private = carol.post(page_url(ticket.track_id, "public"), {"public": "0"})
    assert "This ticket is private now." in private.text and "Make public" in private.text
    assert anonymous.get(page_url(ticket.track_id)).status == 404


def test_public_toggle_needs_the_setting(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    assert "Make public" not in carol.get(page_url(ticket.track_id)).text
    assert carol.post(page_url(ticket.track_id, "public"), {"public": "1"}).status == 404


def test_custom_fields_and_deadlines(web: SimpleNamespace) -> None:
    web.helpdesk.templates.create(
        web.cast.system,
        name="Hardware",
        fields=[{"key": "serial", "label": "Serial number", "type": "text"}],
    )
    ticket = open_ticket(web, template="hardware", custom_fields={"serial": "SN-4711"})
    page = logged_in(web, web.cast.carol).get(page_url(ticket.track_id))
    assert "<dt>Serial number</dt>" in page.text and "SN-4711" in page.text
    assert "<dt>Created</dt>" in page.text and "<dt>Team</dt>" in page.text


# ---------------------------------------------------------------- secure data


def test_secure_data(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(secure_data_key=Fernet.generate_key().decode())
    secret = "hunter2-Very-Secret-VPN-pass"
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(ticket.track_id))
    assert '<label for="f-label">What is it?' in page.text
    assert '<label for="f-secret">Secure data' in page.text

    empty = carol.post(page_url(ticket.track_id, "secure-data"), {"label": "VPN", "secret": " "})
    assert empty.status == 400 and 'id="secret-error"' in empty.text
    assert 'value="VPN"' in empty.text
    too_long = carol.post(
        page_url(ticket.track_id, "secure-data"), {"label": "x" * 300, "secret": secret}
    )
    assert too_long.status == 400 and secret not in too_long.text

    sent = carol.post(
        page_url(ticket.track_id, "secure-data"), {"label": "Server password", "secret": secret}
    )
    assert sent.status == 200
    assert "Secure data sent on" in sent.text and "Server password" in sent.text
    assert secret not in sent.text
    with web.helpdesk.sessionmaker() as session:
        outbox = list(session.scalars(select(OutboxMessage)))
    assert all(secret not in f"{m.subject}{m.body_text}{m.body_html}" for m in outbox)

    web.helpdesk.tickets.close(web.cast.ann_actor, ticket.id)
    closed = carol.get(page_url(ticket.track_id))
    assert "purged on" in closed.text and 'name="secret"' not in closed.text


def test_secure_data_off(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    assert 'name="secret"' not in carol.get(page_url(ticket.track_id)).text
    posted = carol.post(page_url(ticket.track_id, "secure-data"), {"secret": "x"})
    assert posted.status == 404


# ---------------------------------------------------------------- guests


def guest_ticket(web: SimpleNamespace) -> tuple[Any, str]:
    created = web.helpdesk.tickets.create_as_guest(
        email="gus@mail.example.com", display_name="Gus", subject="Guest question", body="Hi"
    )
    assert created.guest_token
    return created.ticket, created.guest_token


def test_guest_link(web: SimpleNamespace) -> None:
    ticket, token = guest_ticket(web)
    guest = web.client()
    page = guest.get(f"{page_url(ticket.track_id)}?token={token}")
    assert page.status == 200 and page.history == [303]
    assert "token" not in page.url and "Guest question" in page.text
    assert token not in page.text

    again = guest.get(page_url(ticket.track_id))  # the session remembers the link
    assert again.status == 200 and "Guest question" in again.text
    sent = guest.post(page_url(ticket.track_id, "reply"), {"body": "Any news?"})
    assert "Your reply was sent." in sent.text
    messages = web.helpdesk.messages.thread(web.cast.system, ticket.id)
    assert messages[-1].body == "Any news?" and messages[-1].author.display_name == "Gus"

    resolved = guest.post(page_url(ticket.track_id, "close"), {"resolved": "1"})
    assert "The ticket is resolved." in resolved.text
    rated = guest.post(page_url(ticket.track_id, "rate"), {"rating": "5"})
    assert "You rated this ticket 5/5" in rated.text

    other = open_ticket(web)
    assert guest.get(page_url(other.track_id)).status == 404
    assert guest.get(f"{page_url(other.track_id)}?token={token}").status == 404


def test_wrong_guest_token(web: SimpleNamespace) -> None:
    ticket, token = guest_ticket(web)
    stranger = web.client()
    assert stranger.get(f"{page_url(ticket.track_id)}?token=x{token}").status == 404
    assert stranger.get(page_url(ticket.track_id)).status == 404


def test_a_logged_in_customer_with_the_link_acts_as_the_guest(web: SimpleNamespace) -> None:
    ticket, token = guest_ticket(web)
    erin = logged_in(web, web.cast.erin)
    assert erin.get(page_url(ticket.track_id)).status == 404
    page = erin.get(f"{page_url(ticket.track_id)}?token={token}")
    assert page.status == 200 and "Guest question" in page.text
    erin.post(page_url(ticket.track_id, "reply"), {"body": "Forwarded to me"})
    author = web.helpdesk.messages.thread(web.cast.system, ticket.id)[-1].author
    assert author.display_name == "Gus"


def test_organization_member_who_may_only_look(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(organization_visibility="view")
    ticket = open_ticket(web)
    dave = logged_in(web, web.cast.dave)
    page = dave.get(page_url(ticket.track_id))
    assert page.status == 200 and "Printer on fire" in page.text
    assert "Close ticket" not in page.text and 'name="body"' not in page.text
    assert "Add a CC recipient" not in page.text
    closing = dave.post(page_url(ticket.track_id, "close"), {"resolved": "1"})
    assert closing.status == 200 and "You cannot close this ticket." in closing.text
    replying = dave.post(page_url(ticket.track_id, "reply"), {"body": "me too"})
    assert "You cannot reply to this ticket." in replying.text
    assert status_of(web, ticket) is Status.OPEN
    assert len(thread_bodies(web, ticket)) == 1


def test_a_copied_customer_may_reply(web: SimpleNamespace) -> None:
    ticket = open_ticket(web, cc=["frank@mail.example.com"])
    frank = logged_in(web, web.cast.frank)
    page = frank.get(page_url(ticket.track_id))
    assert page.status == 200 and 'name="body"' in page.text
    assert "Close ticket" not in page.text


def test_deadlines_and_the_paused_clock(web: SimpleNamespace) -> None:
    web.helpdesk.sla.create_policy(
        web.cast.system,
        name="Standard",
        is_default=True,
        first_response_minutes=60,
        resolution_minutes=480,
    )
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(ticket.track_id))
    assert re.search(r'<dt>Response by</dt>\s*<dd class="tc-sla-on_track">', page.text)
    assert "10:00" in page.text and "5:00" in page.text  # 09:00 UTC plus 1 and 8 hours
    assert "paused" not in page.text

    web.helpdesk.messages.reply(
        web.cast.ann_actor, ticket.id, body="Which model is it?", status="pending"
    )
    waiting = carol.get(page_url(ticket.track_id))
    assert "<dt>Response by</dt>" not in waiting.text  # answered
    assert "<dt>Resolution by</dt>" in waiting.text
    assert "(paused while we wait for your answer)" in waiting.text
