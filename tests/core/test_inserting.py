"""New tickets and messages are written by `insert_now` (one INSERT … RETURNING, then attached
as loaded), or by the ordinary flush on a database without RETURNING (MySQL): either way the
ticket, its CC, its first message, the message's files and a reply are all stored."""

from __future__ import annotations

import pytest

from ticketcore.schemas import UploadedFile
from ticketcore.services import inserting


@pytest.fixture(params=["returning", "flush"])
def way(request, monkeypatch) -> str:
    if request.param == "flush":  # as on MySQL, whose INSERT has no RETURNING
        monkeypatch.setattr(inserting, "_returns_rows", lambda session: False)
    return str(request.param)


def test_a_new_ticket_its_message_files_and_a_reply_are_stored(helpdesk, cast, way) -> None:
    created = helpdesk.tickets.create(
        cast.carol_actor,
        subject="Invoice missing",
        body="See the **attached** file.",
        cc=["boss@acme.example.com"],
        attachments=[UploadedFile(filename="invoice.pdf", content=b"%PDF-1.4")],
    ).ticket
    reply = helpdesk.messages.reply(cast.ann_actor, created.id, body="Found it, thanks.")

    stored = helpdesk.tickets.get(cast.carol_actor, created.id)
    same = ("number", "track_id", "subject", "created_at", "response_by", "resolution_by", "cc")
    assert {f: getattr(stored, f) for f in same} == {f: getattr(created, f) for f in same}
    assert stored.cc == ["boss@acme.example.com"] and stored.requester.id == cast.carol.id
    assert stored.team_name == "Support" and stored.assignee.id == cast.ann.id
    assert stored.reply_count == 1 and stored.last_reply_by == "agent"
    first, second = helpdesk.messages.thread(cast.carol_actor, created.id)
    assert first.body_html.strip() == "<p>See the <strong>attached</strong> file.</p>"
    assert (first.author.id, first.kind) == (cast.carol.id, "customer_reply")
    assert [(f.filename, f.size) for f in first.attachments] == [("invoice.pdf", 8)]
    meta, content = helpdesk.attachments.get(cast.carol_actor, first.attachments[0].id)
    assert content == b"%PDF-1.4" and meta.filename == "invoice.pdf"
    assert (second.id, second.body) == (reply.id, "Found it, thanks.")
    trail = helpdesk.tickets.audit_trail(cast.ann_actor, created.id)
    assert [line.action for line in trail][:2] == ["created", "changed"]


def test_a_row_written_by_insert_now_reads_back_as_the_object_it_left(
    helpdesk, cast, monkeypatch
) -> None:
    """Only the id comes back from the INSERT: every other column the object holds afterwards
    (defaults such as `custom_fields`, `kind`, `sla_paused_minutes` included) must be what a
    fresh read of the row gives."""
    from ticketcore.models import Message, Ticket
    from ticketcore.services import attachments, tickets

    left: list[tuple[type, int, dict]] = []

    def recording(session, obj) -> None:
        inserting.insert_now(session, obj)
        columns = type(obj).__table__.c
        left.append((type(obj), obj.id, {c.key: getattr(obj, c.key) for c in columns}))

    monkeypatch.setattr(tickets, "insert_now", recording)
    monkeypatch.setattr(attachments, "insert_now", recording)
    helpdesk.tickets.create(cast.carol_actor, subject="Invoice missing", body="Where is it?")
    assert [kind for kind, _, _ in left] == [Ticket, Message]
    with helpdesk.sessionmaker() as session:
        for kind, row_id, values in left:
            stored = session.get(kind, row_id)
            columns = kind.__table__.c
            assert {c.key: getattr(stored, c.key) for c in columns} == values
