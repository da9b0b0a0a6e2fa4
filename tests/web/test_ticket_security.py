"""Attacks on the ticket page: other people's tickets, forged forms, script in messages and
files, open redirects, and secrets that must never reach a page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from ticketcore.schemas import UploadedFile
from ticketcore.workflow import Status

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def page_url(track_id: str, action: str = "") -> str:
    return f"/support/tickets/{track_id}" + (f"/{action}" if action else "")


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def carols_ticket(web: SimpleNamespace, **fields: Any) -> Any:
    fields.setdefault("subject", "Invoice 42")
    fields.setdefault("body", "Please check")
    fields.setdefault("attachments", [UploadedFile(filename="scan.png", content=PNG)])
    return web.helpdesk.tickets.create(web.cast.carol_actor, **fields).ticket


def attachment_url(web: SimpleNamespace, ticket: Any, index: int = 0) -> str:
    files = [
        a for m in web.helpdesk.messages.thread(web.cast.system, ticket.id) for a in m.attachments
    ]
    file = files[index]
    return f"{page_url(ticket.track_id)}/attachments/{file.id}/{file.filename}"


def test_another_customer_gets_404_everywhere(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web)
    erin = logged_in(web, web.cast.erin)
    assert erin.get(page_url(ticket.track_id)).status == 404
    assert erin.get(attachment_url(web, ticket)).status == 404
    assert erin.get(attachment_url(web, ticket) + "?inline=1").status == 404
    posts = {
        "reply": {"body": "mine now"},
        "close": {"resolved": "1"},
        "cc": {"email": "erin@globex.example.com"},
        "cc/remove": {"email": "x@example.com"},
        "public": {"public": "1"},
        "rate": {"rating": "1"},
        "secure-data": {"secret": "x"},
    }
    for action, data in posts.items():
        answer = erin.post(page_url(ticket.track_id, action), data)
        assert answer.status == 404, action
        assert "Invoice 42" not in answer.text
    after = web.helpdesk.tickets.get(web.cast.system, ticket.id)
    assert after.status is Status.OPEN and after.cc == [] and after.reply_count == 0


def test_an_agent_note_is_never_shown_nor_its_files(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web)
    web.helpdesk.messages.add_note(
        web.cast.ann_actor,
        ticket.id,
        "INTERNAL-ONLY remark",
        [UploadedFile(filename="internal.pdf", content=b"%PDF-1.4 internal")],
    )
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(ticket.track_id))
    assert "INTERNAL-ONLY" not in page.text and "internal.pdf" not in page.text
    assert carol.get(attachment_url(web, ticket, index=1)).status == 404


def test_an_attachment_only_under_its_own_ticket(web: SimpleNamespace) -> None:
    first, second = carols_ticket(web), carols_ticket(web, subject="Other")
    carol = logged_in(web, web.cast.carol)
    url = attachment_url(web, first)
    assert carol.get(url).status == 200
    assert carol.get(url.replace(first.track_id, second.track_id)).status == 404


def test_visitors_get_the_same_404_for_any_track_id(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web)
    visitor = web.client()
    real = visitor.get(page_url(ticket.track_id))
    made_up = visitor.get(page_url("ABC-DEF-2345"))
    assert real.status == made_up.status == 404
    assert real.history == made_up.history == []
    assert "Invoice 42" not in real.text
    # The only difference is where logging in leads back to.
    assert real.text.replace(ticket.track_id, "ABC-DEF-2345") == made_up.text
    assert f"next=%2Fsupport%2Ftickets%2F{ticket.track_id}" in real.text
    assert visitor.get(attachment_url(web, ticket)).status == 404
    assert visitor.post(page_url(ticket.track_id, "reply"), {"body": "x"}).status == 404


def test_forms_without_the_csrf_token_do_nothing(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web)
    carol = logged_in(web, web.cast.carol)
    for action, data in {
        "reply": {"body": "forged"},
        "close": {"resolved": "1"},
        "cc": {"email": "attacker@evil.example"},
    }.items():
        answer = carol.post(page_url(ticket.track_id, action), data, csrf_token=False)
        assert answer.status == 400, action
    after = web.helpdesk.tickets.get(web.cast.system, ticket.id)
    assert after.status is Status.OPEN and after.cc == [] and after.reply_count == 0


def test_script_in_messages_is_not_run(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web, subject="<img src=x onerror=alert(1)>")
    carol = logged_in(web, web.cast.carol)
    page = carol.post(
        page_url(ticket.track_id, "reply"),
        {"body": '<script>alert("pwned")</script> [link](javascript:alert(2))'},
    )
    assert page.status == 200
    assert "<script>alert" not in page.text
    assert "<img src=x onerror" not in page.text and "&lt;img src=x onerror" in page.text
    assert 'href="javascript:' not in page.text


def test_svg_and_html_files_are_never_shown(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = web_factory(blocked_attachment_extensions=())
    ticket = carols_ticket(
        web,
        attachments=[
            UploadedFile(filename="logo.svg", content=SVG, content_type="image/svg+xml"),
            UploadedFile(filename="page.html", content=HTML, content_type="text/html"),
            UploadedFile(filename="fake.png.html", content=HTML, content_type="image/png"),
        ],
    )
    carol = logged_in(web, web.cast.carol)
    page = carol.get(page_url(ticket.track_id))
    assert "<img" not in page.text.split('<main id="main"', 1)[1]
    for index, name in enumerate(("logo.svg", "page.html", "fake.png.html")):
        url = attachment_url(web, ticket, index)
        assert url.endswith(name)
        served = carol.get(url + "?inline=1")
        assert served.status == 200
        assert served.content_type == "application/octet-stream"
        assert served.header("Content-Disposition") == f"attachment; filename*=UTF-8''{name}"
        assert served.header("X-Content-Type-Options") == "nosniff"
        assert served.header("Content-Security-Policy") == "sandbox"


def test_file_names_are_quoted_in_the_header(web: SimpleNamespace) -> None:
    name = 'Rechnung "März"; 1.pdf'
    ticket = carols_ticket(web, attachments=[UploadedFile(filename=name, content=b"%PDF-1.4")])
    carol = logged_in(web, web.cast.carol)
    [message] = web.helpdesk.messages.thread(web.cast.system, ticket.id)
    file_id = message.attachments[0].id
    served = carol.get(page_url(ticket.track_id, f"attachments/{file_id}/x.pdf"))
    assert served.status == 200
    disposition = served.header("Content-Disposition")
    assert disposition is not None and disposition.startswith("attachment; filename*=UTF-8''")
    assert '"' not in disposition and ";" not in disposition.split("''", 1)[1]
    assert "M%C3%A4rz" in disposition


def test_next_never_leads_off_the_site(web: SimpleNamespace) -> None:
    ticket = carols_ticket(web)
    carol = logged_in(web, web.cast.carol)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        sent = carol.post(
            page_url(ticket.track_id, "reply"), {"body": "hello", "next": target}, follow=False
        )
        assert sent.status == 303, target
        assert sent.location == page_url(ticket.track_id), target


def test_the_guest_token_leaves_the_address_bar(web: SimpleNamespace) -> None:
    created = web.helpdesk.tickets.create_as_guest(
        email="gus@mail.example.com", subject="Guest", body="Hi"
    )
    guest = web.client()
    first = guest.get(
        f"{page_url(created.ticket.track_id)}?token={created.guest_token}", follow=False
    )
    assert first.status == 303 and first.location == page_url(created.ticket.track_id)
    page = guest.get(first.location)
    assert page.status == 200 and str(created.guest_token) not in page.text


def test_times_are_shown_in_the_viewers_zone(web: SimpleNamespace) -> None:
    web.helpdesk.accounts.update_profile(web.cast.carol_actor, timezone="Asia/Tokyo")
    ticket = carols_ticket(web)
    page = logged_in(web, web.cast.carol).get(page_url(ticket.track_id))
    tokyo = ZoneInfo("Asia/Tokyo")
    created: datetime = ticket.created_at
    assert created.astimezone(UTC).hour == 9
    expected = (
        f"{format_date(created.astimezone(tokyo), 'medium', locale='en')}, "
        f"{format_time(created, 'short', tzinfo=tokyo, locale='en')}"
    )
    assert expected in page.text and "6:00" in expected
