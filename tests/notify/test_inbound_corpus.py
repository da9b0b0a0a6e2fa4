"""Every email in `corpus/` through `helpdesk.mail.ingest`.

The files are shaped like the mail real clients send (see `corpus/expected.json` for each
one's shape and outcome). Each case starts from a fresh helpdesk holding the usual cast and one
ticket by Carol, fills the file's placeholders from that ticket, and then checks what a person
would see: the message in the thread (exact text, author, files), the ticket that was opened,
nothing stored for duplicates, bounces and strangers, and the inbound mail log entry.

The whole corpus runs on SQLite. A fresh PostgreSQL or MariaDB database per case costs about a
second, so there the cases marked `all_backends` run: every outcome, and everything the
database takes part in (Message-ID look-ups and uniqueness, raw bytes kept, 4-byte UTF-8,
files, permission queries).
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ticketcore import Actor, Helpdesk
from ticketcore.models import OutboxMessage, OutboxStatus, Ticket
from ticketcore.notify.inbound import IngestResult

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
CASES = EXPECTED["cases"]
BACKENDS = [
    b.strip()
    for b in os.environ.get("TICKETCORE_TEST_DATABASES", "sqlite,postgresql,mariadb").split(",")
    if b.strip()
]
SYSTEM = Actor.system()
KEPT = ("rejected", "malformed")


def notification_id(helpdesk: Helpdesk, ticket_id: int) -> str:
    """The Message-ID of a notification about the ticket: the outbox's own when it wrote one,
    else one written here the way the outbox stores them."""
    with helpdesk.sessionmaker.begin() as session:
        found = (
            session.query(OutboxMessage.email_message_id)
            .filter_by(ticket_id=ticket_id, recipient="carol@acme.example.com")
            .first()
        )
        if found is not None:
            return found[0]
        now = helpdesk.clock.now()
        message_id = f"<tc-out-{uuid.uuid4().hex}@example.com>"
        session.add(
            OutboxMessage(
                event="ticket_created",
                ticket_id=ticket_id,
                recipient="carol@acme.example.com",
                email_message_id=message_id,
                subject="Printer on floor 3 is jammed",
                body_text="We received your request.",
                headers={},
                status=OutboxStatus.SENT,
                attempts=1,
                next_attempt_at=now,
                created_at=now,
                sent_at=now,
            )
        )
        return message_id


def fill(name: str, values: dict[str, str]) -> bytes:
    """The file with its placeholders filled; `{{base64:…}}` becomes the base64 of its (filled)
    UTF-8 text, for a placeholder inside an RFC 2047 encoded word."""
    raw = (CORPUS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{{%s}}" % key.encode(), value.encode())
    return re.sub(rb"\{\{base64:(.*?)\}\}", lambda m: base64.b64encode(m.group(1)), raw)


def thread(helpdesk: Helpdesk, ticket_id: int) -> list[Any]:
    return helpdesk.messages.thread(SYSTEM, ticket_id)


@pytest.fixture
def desk(
    request: pytest.FixtureRequest,
    helpdesk: Helpdesk,
    helpdesk_factory: Any,
    cast: SimpleNamespace,
) -> SimpleNamespace:
    """A helpdesk with the case's settings (over the database the cast was made in), and
    Carol's ticket with Gina copied."""
    case = request.param
    if case.get("settings"):
        helpdesk = helpdesk_factory(**case["settings"])
    main = helpdesk.tickets.create(
        cast.carol_actor,
        subject="Printer on floor 3 is jammed",
        body="It shows error E-42 since this morning.",
        cc=["gina@partner.example.net"],
    ).ticket
    with helpdesk.sessionmaker() as session:
        token = session.get(Ticket, main.id).reply_token
    values = {
        "TOKEN": token,
        "TRACK_ID": main.track_id,
        "THREAD_ID": f"<ticket-{main.track_id}@example.com>",
        "OUT_MESSAGE_ID": notification_id(helpdesk, main.id),
    }
    helpdesk.clock.advance(minutes=5)
    return SimpleNamespace(helpdesk=helpdesk, cast=cast, main=main, values=values, case=case)


# Every case on SQLite; the `all_backends` ones on the database servers too.
RUNS = [
    pytest.param(backend, case, id=f"{backend}-{case['id']}")
    for backend in BACKENDS
    for case in CASES
    if backend == "sqlite" or case.get("all_backends")
]


@pytest.mark.parametrize(("database_url", "desk"), RUNS, indirect=True)
def test_corpus_email(desk: SimpleNamespace) -> None:
    check(desk)


def check(desk: SimpleNamespace) -> None:
    helpdesk, case, main = desk.helpdesk, desk.case, desk.main
    if "close" in case.get("setup", []):
        helpdesk.tickets.close(desk.cast.ann_actor, main.id)
    previous: IngestResult | None = None
    for name in case.get("before", []):
        previous = helpdesk.mail.ingest(fill(name, desk.values))
        assert previous.status in ("added", "created"), previous
    tickets_before = helpdesk.tickets.list(SYSTEM).total
    main_before = thread(helpdesk, main.id)

    raw = fill(case["file"], desk.values)
    result = helpdesk.mail.ingest(raw)

    # -- the outcome and its log entry
    assert result.status == case["status"], result.describe()
    entry = helpdesk.mail.entry(SYSTEM, result.inbound_id)
    assert (entry.status, entry.reason, entry.ticket_id) == (
        result.status,
        result.reason,
        result.ticket_id,
    )
    for expected in (case.get("reason"), case.get("matched_by")):
        if expected:
            assert expected in (result.reason or ""), result.reason
    kept = helpdesk.mail.raw(SYSTEM, result.inbound_id)
    if case.get("raw") == "headers":
        assert kept is not None and raw.startswith(kept) and len(kept) < len(raw)
        assert kept.rstrip().endswith(b'boundary="scan-boundary"')
    else:
        assert kept == (raw if result.status in KEPT else None)

    # -- which ticket, and nothing anywhere else
    opened = result.status == "created"
    assert helpdesk.tickets.list(SYSTEM).total == tickets_before + (1 if opened else 0)
    expected_ticket = {
        "main": main.id,
        "previous": previous.ticket_id if previous else None,
        "new": result.ticket_id if opened else -1,
        None: None,
    }[case["ticket"]]
    if result.status in ("added", "created", "duplicate") or case["ticket"] == "main":
        assert result.ticket_id == expected_ticket
    added_to_main = result.status == "added" and case["ticket"] == "main"
    main_after = thread(helpdesk, main.id)
    assert len(main_after) == len(main_before) + (1 if added_to_main else 0)
    if previous is not None and previous.ticket_id != main.id and case["ticket"] == "previous":
        grown = thread(helpdesk, previous.ticket_id)
        assert len(grown) == (2 if result.status == "added" else 1)
    if "no_account" in case:
        assert helpdesk.users.find_by_email(case["no_account"]) is None
    if "ticket_status" in case:
        assert helpdesk.tickets.get(SYSTEM, main.id).status == case["ticket_status"]

    # -- the stored message, as the thread shows it
    if result.status not in ("added", "created"):
        assert result.message_id is None
        return
    ticket = helpdesk.tickets.get(SYSTEM, result.ticket_id)
    assert result.track_id == ticket.track_id
    messages = thread(helpdesk, ticket.id)
    message = messages[-1] if result.status == "added" else messages[0]
    assert message.id == result.message_id
    assert message.source == "email"
    assert message.body == case["text"]
    for unwanted in case.get("excludes", []):
        assert unwanted not in message.body
    assert [a.filename for a in message.attachments] == case.get("attachments", [])
    for attachment in message.attachments:
        info, content = helpdesk.attachments.get(SYSTEM, attachment.id)
        assert info.size == len(content) > 0
    if opened:
        assert ticket.subject == case["subject"]
        assert ticket.requester.email == case["requester"]
        if "requester_name" in case:
            assert ticket.requester.display_name == case["requester_name"]
        assert message.author is not None and message.author.id == ticket.requester.id
    else:
        assert message.author is not None and message.author.email == case["author"]
        assert message.email_message_id == result.email_message_id
        assert message.kind == case.get("kind", "customer_reply")


def test_corpus_lists_every_file() -> None:
    """Each email in the folder has at least one expected outcome, and the corpus is big enough."""
    files = {p.name for p in CORPUS.glob("*.eml")}
    assert files == {c["file"] for c in CASES}
    assert len(files) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)
    for name in [c for case in CASES for c in case.get("before", [])]:
        assert name in files
