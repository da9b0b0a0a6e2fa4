"""Secure data: encrypted at rest, metadata only for the customer side, revealed to staff on an
audited request, purged by an agent or when the ticket closes, never in the outbox."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from ticketcore import Actor, Helpdesk, NotFound, PermissionDenied
from ticketcore.cli import CliState, main
from ticketcore.errors import ConfigurationError, Conflict, InvalidInput
from ticketcore.models import AuditEvent, OutboxMessage
from ticketcore.models.security import SecureData

SECRET = "hunter2-Pa55word-for-the-VPN"


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    """The `cast` fixture fills the default helpdesk's database; this one shares it, with a key."""
    return helpdesk_factory(secure_data_key=Fernet.generate_key().decode())


@pytest.fixture
def ticket(helpdesk, cast):
    return helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="I cannot log in").ticket


def rows(helpdesk, model) -> list:
    with helpdesk.sessionmaker() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def audit_actions(helpdesk, ticket_id: int) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.field, e.new_value)
        for e in rows(helpdesk, AuditEvent)
        if e.ticket_id == ticket_id and e.action.startswith("secure_data")
    ]


def outbox_text(helpdesk) -> str:
    return "\n".join(
        f"{m.subject}\n{m.body_text}\n{m.body_html or ''}\n{m.headers}"
        for m in rows(helpdesk, OutboxMessage)
    )


# ---------------------------------------------------------------- sending


def test_send_stores_the_secret_encrypted_and_returns_metadata_only(helpdesk, cast, ticket):
    assert helpdesk.secure_data.enabled
    sent = helpdesk.secure_data.send(
        cast.carol_actor, ticket.id, label="  VPN   password ", secret=SECRET
    )
    assert sent.label == "VPN password"
    assert sent.ticket_id == ticket.id
    assert sent.author is not None and sent.author.display_name == "Carol"
    assert sent.available and sent.purged_at is None
    assert sent.created_at == helpdesk.clock.now()
    assert SECRET not in sent.model_dump_json()

    (row,) = rows(helpdesk, SecureData)
    assert row.ciphertext is not None
    assert SECRET not in row.ciphertext
    assert Fernet(helpdesk.settings.secure_data_key).decrypt(row.ciphertext.encode()) == (
        SECRET.encode()
    )
    assert audit_actions(helpdesk, ticket.id) == [
        ("secure_data_sent", f"secure_data.{row.id}", "VPN password")
    ]


def test_an_empty_label_becomes_the_default(helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="  ", secret=SECRET)
    assert sent.label == "Secure data"


@pytest.mark.parametrize(
    ("label", "secret", "fields"),
    [
        ("ok", "", {"secret"}),
        ("ok", "   \n", {"secret"}),
        ("ok", "x" * 10_001, {"secret"}),
        ("x" * 201, SECRET, {"label"}),
        ("x" * 201, "", {"label", "secret"}),
    ],
)
def test_invalid_input_names_the_fields_and_writes_nothing(
    helpdesk, cast, ticket, label, secret, fields
):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.secure_data.send(cast.carol_actor, ticket.id, label=label, secret=secret)
    assert set(caught.value.errors) == fields
    assert rows(helpdesk, SecureData) == []


def test_the_longest_label_and_secret_are_accepted(helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(
        cast.carol_actor, ticket.id, label="l" * 200, secret=" s" * 5_000
    )
    assert len(sent.label) == 200
    assert helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, sent.id) == " s" * 5_000


def test_a_guest_and_staff_may_send_too(helpdesk):
    created = helpdesk.tickets.create_as_guest(
        email="gina@mail.example.com", subject="Server", body="Please log in"
    )
    guest = helpdesk.tickets.guest_actor(created.ticket.track_id, created.guest_token or "")
    sent = helpdesk.secure_data.send(guest, created.ticket.id, label="root", secret=SECRET)
    assert [s.id for s in helpdesk.secure_data.list(guest, created.ticket.id)] == [sent.id]
    helpdesk.secure_data.send(Actor.system(), created.ticket.id, label="by staff", secret="x")
    assert len(helpdesk.secure_data.list(Actor.system(), created.ticket.id)) == 2


def test_strangers_get_not_found(helpdesk, cast, ticket):
    with pytest.raises(NotFound):
        helpdesk.secure_data.send(cast.erin_actor, ticket.id, label="x", secret=SECRET)
    with pytest.raises(NotFound):
        helpdesk.secure_data.list(cast.erin_actor, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.secure_data.send(cast.carol_actor, 999_999, label="x", secret=SECRET)
    assert rows(helpdesk, SecureData) == []


def test_a_colleague_who_may_only_view_cannot_send(helpdesk_factory, cast):
    helpdesk = helpdesk_factory(
        secure_data_key=Fernet.generate_key().decode(), organization_visibility="view"
    )
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="b").ticket
    helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="mine", secret=SECRET)
    with pytest.raises(PermissionDenied):
        helpdesk.secure_data.send(cast.dave_actor, ticket.id, label="x", secret=SECRET)
    assert helpdesk.secure_data.list(cast.dave_actor, ticket.id) == []  # not his entries


def test_a_closed_ticket_takes_no_secure_data(helpdesk, cast, ticket):
    helpdesk.tickets.close(cast.carol_actor, ticket.id)
    with pytest.raises(Conflict):
        helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)


# ---------------------------------------------------------------- listing


def test_the_customer_side_sees_its_own_entries_metadata(helpdesk, cast, ticket):
    mine = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="Mine", secret=SECRET)
    helpdesk.secure_data.send(cast.ann_actor, ticket.id, label="Agent's", secret="other")

    (seen,) = helpdesk.secure_data.list(cast.carol_actor, ticket.id)
    assert (seen.id, seen.label, seen.available) == (mine.id, "Mine", True)
    assert SECRET not in seen.model_dump_json()
    assert "secret" not in seen.model_dump() and "ciphertext" not in seen.model_dump()

    staff_view = helpdesk.secure_data.list(cast.ann_actor, ticket.id)
    assert [s.label for s in staff_view] == ["Mine", "Agent's"]
    assert staff_view[0].author is not None
    assert staff_view[0].author.email == "carol@acme.example.com"


def test_an_agent_of_another_team_gets_not_found(helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    for call in (
        lambda: helpdesk.secure_data.list(cast.bill_actor, ticket.id),
        lambda: helpdesk.secure_data.reveal(cast.bill_actor, ticket.id, sent.id),
        lambda: helpdesk.secure_data.purge(cast.bill_actor, ticket.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert audit_actions(helpdesk, ticket.id) == [
        ("secure_data_sent", f"secure_data.{sent.id}", "x")
    ]


# ---------------------------------------------------------------- revealing


def test_reveal_returns_the_secret_and_is_audited(helpdesk, cast, ticket, clock):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="VPN", secret=SECRET)
    clock.advance(minutes=5)
    assert helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, sent.id) == SECRET
    assert helpdesk.secure_data.reveal(cast.ada_actor, ticket.id, sent.id) == SECRET

    reveals = [
        e
        for e in rows(helpdesk, AuditEvent)
        if e.ticket_id == ticket.id and e.action == "secure_data_revealed"
    ]
    assert [(e.actor_id, e.actor_kind, e.field, e.new_value) for e in reveals] == [
        (cast.ann.id, "agent", f"secure_data.{sent.id}", "VPN"),
        (cast.ada.id, "admin", f"secure_data.{sent.id}", "VPN"),
    ]
    assert all(e.created_at == clock.now() for e in reveals)
    trail = helpdesk.tickets.audit_trail(cast.ann_actor, ticket.id)
    assert [e.action for e in trail if e.action.startswith("secure")] == [
        "secure_data_sent",
        "secure_data_revealed",
        "secure_data_revealed",
    ]
    assert all(SECRET not in (e.new_value or "") + (e.old_value or "") for e in trail)


def test_customers_cannot_reveal_even_their_own(helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    for actor in (cast.carol_actor, cast.dave_actor, Actor.anonymous()):
        with pytest.raises(NotFound):
            helpdesk.secure_data.reveal(actor, ticket.id, sent.id)
    assert [a for a, _, _ in audit_actions(helpdesk, ticket.id)] == ["secure_data_sent"]


def test_reveal_checks_the_entry_belongs_to_the_ticket(helpdesk, cast, ticket):
    other = helpdesk.tickets.create(cast.carol_actor, subject="Other", body="b").ticket
    sent = helpdesk.secure_data.send(cast.carol_actor, other.id, label="x", secret=SECRET)
    with pytest.raises(NotFound):
        helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, sent.id)
    with pytest.raises(NotFound):
        helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, 999_999)


def test_a_changed_key_is_a_configuration_error(helpdesk_factory, helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    rekeyed = helpdesk_factory(secure_data_key=Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError):
        rekeyed.secure_data.reveal(cast.ann_actor, ticket.id, sent.id)
    malformed = helpdesk_factory(secure_data_key="not-a-key")
    with pytest.raises(ConfigurationError):
        malformed.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    assert [a for a, _, _ in audit_actions(helpdesk, ticket.id)] == ["secure_data_sent"]


# ---------------------------------------------------------------- purging


def test_an_agent_purges_one_entry_or_all(helpdesk, cast, ticket, clock):
    first = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="one", secret="1")
    second = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="two", secret="2")
    third = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="three", secret="3")
    clock.advance(hours=1)

    assert helpdesk.secure_data.purge(cast.ann_actor, ticket.id, first.id) == 1
    assert helpdesk.secure_data.purge(cast.ann_actor, ticket.id, first.id) == 0
    with pytest.raises(Conflict, match="purged"):
        helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, first.id)
    assert helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, second.id) == "2"

    assert helpdesk.secure_data.purge(cast.ann_actor, ticket.id) == 2
    assert all(r.ciphertext is None for r in rows(helpdesk, SecureData))
    listed = helpdesk.secure_data.list(cast.carol_actor, ticket.id)
    assert [(s.id, s.available, s.purged_at) for s in listed] == [
        (first.id, False, clock.now()),
        (second.id, False, clock.now()),
        (third.id, False, clock.now()),
    ]
    purged = [f for a, f, _ in audit_actions(helpdesk, ticket.id) if a == "secure_data_purged"]
    assert purged == [f"secure_data.{i}" for i in (first.id, second.id, third.id)]


def test_customers_cannot_purge(helpdesk, cast, ticket):
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    with pytest.raises(NotFound):
        helpdesk.secure_data.purge(cast.carol_actor, ticket.id, sent.id)
    assert helpdesk.secure_data.list(cast.carol_actor, ticket.id)[0].available


def test_closing_by_the_customer_purges(helpdesk, cast, ticket):
    helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    helpdesk.tickets.close(cast.carol_actor, ticket.id)
    (row,) = rows(helpdesk, SecureData)
    assert row.ciphertext is None and row.purged_at is not None
    purge = [e for e in rows(helpdesk, AuditEvent) if e.action == "secure_data_purged"]
    assert [(e.actor_id, e.field) for e in purge] == [(cast.carol.id, f"secure_data.{row.id}")]


def test_resolving_keeps_the_data_and_auto_close_purges(helpdesk_factory, cast, clock):
    helpdesk = helpdesk_factory(secure_data_key=Fernet.generate_key().decode(), auto_close_days=3)
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="b").ticket
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    helpdesk.tickets.close(cast.ann_actor, ticket.id, resolved=True)
    assert helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, sent.id) == SECRET

    clock.advance(days=3, seconds=1)
    assert helpdesk.tickets.auto_close() == 1
    (row,) = rows(helpdesk, SecureData)
    assert row.ciphertext is None
    purge = [e for e in rows(helpdesk, AuditEvent) if e.action == "secure_data_purged"]
    assert [(e.actor_kind, e.actor_id) for e in purge] == [("system", None)]


def test_closing_by_an_agent_update_purges(helpdesk, cast, ticket):
    helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    helpdesk.tickets.update(cast.ann_actor, ticket.id, status="closed")
    assert rows(helpdesk, SecureData)[0].ciphertext is None


def test_purge_on_close_can_be_switched_off(helpdesk_factory, cast):
    helpdesk = helpdesk_factory(
        secure_data_key=Fernet.generate_key().decode(), secure_data_purge_on_close=False
    )
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="b").ticket
    sent = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret=SECRET)
    helpdesk.tickets.close(cast.carol_actor, ticket.id)
    assert helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, sent.id) == SECRET
    assert helpdesk.secure_data.purge(cast.ann_actor, ticket.id) == 1


# ---------------------------------------------------------------- never in email


def test_the_secret_never_reaches_the_outbox(helpdesk, cast, ticket):
    before = len(rows(helpdesk, OutboxMessage))
    helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="VPN", secret=SECRET)
    assert len(rows(helpdesk, OutboxMessage)) == before  # no email, no notification
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Thanks, I will try it now")
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Did it work?")
    helpdesk.tickets.close(cast.ann_actor, ticket.id)
    assert len(rows(helpdesk, OutboxMessage)) > before
    assert SECRET not in outbox_text(helpdesk)
    thread = helpdesk.messages.thread(cast.ann_actor, ticket.id)
    assert all(SECRET not in m.body for m in thread)
    assert len(thread) == 3  # the opening message and two replies: nothing added by send


# ---------------------------------------------------------------- switched off


def test_without_a_key_every_method_is_refused(helpdesk_factory, cast):
    helpdesk = helpdesk_factory()
    assert not helpdesk.secure_data.enabled
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="b").ticket
    for call in (
        lambda: helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="x", secret="s"),
        lambda: helpdesk.secure_data.list(cast.carol_actor, ticket.id),
        lambda: helpdesk.secure_data.reveal(cast.ann_actor, ticket.id, 1),
        lambda: helpdesk.secure_data.purge(cast.ann_actor, ticket.id),
    ):
        with pytest.raises(PermissionDenied, match="not enabled"):
            call()
    helpdesk.tickets.close(cast.carol_actor, ticket.id)  # closing still works
    assert rows(helpdesk, SecureData) == []


# ---------------------------------------------------------------- the key command


def test_keys_secure_data_prints_a_working_key(helpdesk):
    result = CliRunner().invoke(main, ["keys", "secure-data"], obj=CliState(helpdesk=helpdesk))
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
    again = CliRunner().invoke(main, ["keys", "secure-data"], obj=CliState(helpdesk=helpdesk))
    assert again.stdout.strip() != key
