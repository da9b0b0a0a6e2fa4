"""Administering users: searching (a fixed number of SQL statements per page), changing role,
organization and active flag (never one's own role or activity), and inviting people by email
with a single-use, expiring link that a newer invitation replaces."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine_events import statements_sent, work_of
from ticketcore import Helpdesk
from ticketcore.errors import ConfigurationError, InvalidInput, NotFound
from ticketcore.models import OutboxMessage
from ticketcore.services.invitations import InvitationService

SECRET_KEY = "test-secret-key-for-signing-links"
PASSWORD = "correct horse 42"
ADDRESS = "203.0.113.7"


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    """Emails stay in the outbox (nothing is sent), so tests read them there."""
    return helpdesk_factory(secret_key=SECRET_KEY, deliver_after_commit=False)


@pytest.fixture
def invitations(helpdesk) -> InvitationService:
    return InvitationService(helpdesk)


def invitation_mails(helpdesk: Helpdesk, to: str) -> list[OutboxMessage]:
    with helpdesk.sessionmaker() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.event == "account_invite", OutboxMessage.recipient == to)
                .order_by(OutboxMessage.id)
            )
        )


def invitation_token(mail: OutboxMessage) -> str:
    """The token of the one invitation link in the email (text and HTML agree)."""
    found = re.findall(
        r"http://localhost:5000/support/account/invite/([A-Za-z0-9_.-]+)", mail.body_text
    )
    assert len(found) == 1, mail.body_text
    assert f"/account/invite/{found[0]}" in (mail.body_html or "")
    return found[0]


# ---------------------------------------------------------------------------- search


def test_search_by_name_or_email_and_role(helpdesk, cast):
    def names(**query):
        return [u.display_name for u in helpdesk.users.search(cast.ada_actor, **query).items]

    assert names() == ["Ada", "Ann", "Bill", "Carol", "Dave", "Erin", "Frank"]
    assert names(text="acme.EXAMPLE") == ["Carol", "Dave"]
    assert names(text="an") == ["Ann", "Frank"]
    assert names(role="agent") == ["Ann", "Bill"]
    assert names(text="a", role="admin") == ["Ada"]
    assert names(text="%") == [] and names(text="_") == []  # wildcards are plain characters


def test_search_pages_and_what_a_row_says(helpdesk, cast):
    page = helpdesk.users.search(cast.ada_actor, page=2, per_page=3)
    assert [u.display_name for u in page.items] == ["Carol", "Dave", "Erin"]
    assert (page.total, page.pages, page.page) == (7, 3, 2)
    ann = helpdesk.users.search(cast.ada_actor, text="ann@").items[0]
    assert ann.team_ids == [cast.support.id] and ann.role == "agent"
    assert ann.email_verified and not ann.has_password  # made by the cast, no password set
    helpdesk.users.set_password(cast.system, cast.ann.id, PASSWORD)
    assert helpdesk.users.details(cast.ada_actor, cast.ann.id).has_password


def test_search_costs_the_same_sql_however_many_users_and_teams(helpdesk, cast):
    def cost() -> int:
        with statements_sent(helpdesk) as sent:
            helpdesk.users.search(cast.ada_actor, per_page=50)
        return len(work_of(sent))

    small = cost()
    for i in range(12):
        helpdesk.users.create(
            cast.system,
            email=f"agent{i}@help.example.com",
            role="agent",
            teams=["support", "billing"] if i % 2 else ["support"],
            organization="acme" if i % 3 else None,
        )
    assert cost() == small == 3  # count, the page, the teams of the page


def test_search_input_is_checked(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.users.search(cast.ada_actor, role="boss", per_page=500)
    assert set(caught.value.errors) == {"role", "per_page"}


# ---------------------------------------------------------------------------- update


def test_an_admin_changes_role_organization_and_activity(helpdesk, cast):
    frank = helpdesk.users.update(cast.ada_actor, cast.frank.id, organization="globex")
    assert frank.organization_id == cast.globex.id and frank.role == "customer"
    frank = helpdesk.users.update(cast.ada_actor, cast.frank.id, role="agent", organization=0)
    assert (frank.role, frank.organization_id) == ("agent", None)
    assert helpdesk.users.actor_for(frank.id).is_staff

    off = helpdesk.users.update(cast.ada_actor, cast.bill.id, is_active=False)
    assert not off.is_active
    with pytest.raises(NotFound):
        helpdesk.users.actor_for(cast.bill.id)  # a deactivated account acts as nobody
    back = helpdesk.users.update(cast.ada_actor, cast.bill.id, is_active=True)
    assert back.is_active and helpdesk.users.actor_for(cast.bill.id).is_staff

    boss = helpdesk.users.update(cast.ada_actor, cast.ann.id, role="admin")
    assert boss.role == "admin"
    assert helpdesk.users.details(cast.ada_actor, cast.ann.id).team_ids == [cast.support.id]


def test_an_admin_cannot_demote_or_deactivate_themselves(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.users.update(cast.ada_actor, cast.ada.id, role="agent", is_active=False)
    assert caught.value.errors == {
        "role": ["you cannot change your own role: ask another administrator"],
        "is_active": ["you cannot deactivate your own account"],
    }
    ada = helpdesk.users.update(cast.ada_actor, cast.ada.id, role="admin", organization="acme")
    assert (ada.role, ada.is_active, ada.organization_id) == ("admin", True, cast.acme.id)


def test_an_unknown_organization_changes_nothing(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.users.update(cast.ada_actor, cast.frank.id, role="agent", organization="nowhere")
    assert caught.value.errors == {"organization": ["unknown organization 'nowhere'"]}
    assert helpdesk.users.get(cast.frank.id).role == "customer"


def test_staff_names_are_active_agents_and_admins_in_name_order(helpdesk, cast):
    helpdesk.users.deactivate(cast.ada_actor, cast.bill.id)
    names = helpdesk.users.staff_names()
    assert names == {u.id: u.display_name for u in helpdesk.users.staff()}
    assert list(names.values()) == ["Ada", "Ann"]  # Bill is deactivated, customers never


def test_a_new_customer_leaves_teams_staff_lists_and_assigned_tickets(helpdesk, cast):
    helpdesk.organizations.update(cast.ada_actor, cast.acme.id, staff=[cast.ann.id, cast.bill.id])
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Help", body="b").ticket
    assert ticket.assignee is not None and ticket.assignee.id == cast.ann.id

    ann = helpdesk.users.update(cast.ada_actor, cast.ann.id, role="customer")
    assert ann.role == "customer"
    assert helpdesk.teams.get(cast.support.id).member_ids == []
    assert helpdesk.organizations.get(cast.acme.id).staff_ids == [cast.bill.id]
    after = helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assert after.assignee is None
    (change,) = [
        a for a in helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id) if a.field == "assignee"
    ][-1:]
    assert (change.old_value, change.new_value, change.actor_id) == (
        cast.ann.email,
        None,
        cast.ada.id,
    )


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_only_admins_see_and_change_users(helpdesk, cast, who):
    actor = getattr(cast, f"{who}_actor")
    with pytest.raises(NotFound):
        helpdesk.users.update(actor, getattr(cast, who).id, role="admin")
    with pytest.raises(NotFound):
        helpdesk.users.search(actor)
    with pytest.raises(NotFound):
        helpdesk.users.details(actor, cast.frank.id)
    assert helpdesk.users.get(getattr(cast, who).id).role != "admin"


# ---------------------------------------------------------------------------- invitations


def test_an_invited_agent_chooses_a_password_and_can_log_in(helpdesk, cast, invitations):
    zoe = invitations.invite(
        cast.ada_actor,
        email="Zoe@Help.example.com",
        display_name="Zoe",
        role="agent",
        teams=["support", "billing"],
    )
    assert (zoe.role, zoe.display_name, zoe.is_active) == ("agent", "Zoe", True)
    details = helpdesk.users.details(cast.ada_actor, zoe.id)
    assert not details.has_password and not details.email_verified
    assert sorted(details.team_ids) == sorted([cast.support.id, cast.billing.id])

    (mail,) = invitation_mails(helpdesk, zoe.email)
    assert mail.subject == "You are invited to Support"
    assert "to answer support tickets" in mail.body_text
    assert "The link works once, for 7 days." in mail.body_text
    token = invitation_token(mail)
    assert invitations.invited_user(token).id == zoe.id

    accepted = invitations.accept_invitation(token, PASSWORD)
    assert accepted.id == zoe.id
    details = helpdesk.users.details(cast.ada_actor, zoe.id)
    assert details.has_password and details.email_verified
    assert helpdesk.accounts.login("zoe@help.example.com", PASSWORD, address=ADDRESS).id == zoe.id

    with pytest.raises(InvalidInput) as caught:
        invitations.accept_invitation(token, "another pass 99")
    assert caught.value.errors == {"token": ["this invitation has expired or was already used"]}
    with pytest.raises(InvalidInput):
        invitations.invited_user(token)
    assert helpdesk.accounts.login(zoe.email, PASSWORD, address=ADDRESS).id == zoe.id


def test_a_customer_invitation_joins_the_organization_by_domain(helpdesk, cast, invitations):
    gus = invitations.invite(cast.ada_actor, email="gus@acme.example.com", role="customer")
    assert gus.organization_id == cast.acme.id and gus.display_name == "gus"
    (mail,) = invitation_mails(helpdesk, gus.email)
    assert "to ask for help and follow your requests" in mail.body_text
    named = invitations.invite(
        cast.ada_actor, email="hal@mail.example.com", role="customer", organization="globex"
    )
    assert named.organization_id == cast.globex.id


def test_a_weak_password_lists_every_problem_and_keeps_the_link(helpdesk, cast, invitations):
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com", role="admin")
    token = invitation_token(invitation_mails(helpdesk, zoe.email)[0])
    with pytest.raises(InvalidInput) as caught:
        invitations.accept_invitation(token, "short")
    assert caught.value.errors == {
        "password": ["must be at least 10 characters", "must contain a digit"]
    }
    with pytest.raises(InvalidInput) as caught:
        invitations.accept_invitation(token, "zoe@help.example.com")
    assert "must not be your email address or its name part" in caught.value.errors["password"]
    assert not helpdesk.users.details(cast.ada_actor, zoe.id).has_password
    assert invitations.accept_invitation(token, PASSWORD).role == "admin"


def test_the_link_expires_after_invitation_days(helpdesk_factory, cast, clock):
    helpdesk = helpdesk_factory(
        secret_key=SECRET_KEY, deliver_after_commit=False, invitation_days=2
    )
    invitations = InvitationService(helpdesk)
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com")
    (mail,) = invitation_mails(helpdesk, zoe.email)
    assert "for 2 days" in mail.body_text
    token = invitation_token(mail)
    clock.advance(hours=47)
    assert invitations.invited_user(token).id == zoe.id
    clock.advance(hours=2)
    with pytest.raises(InvalidInput) as caught:
        invitations.accept_invitation(token, PASSWORD)
    assert caught.value.errors == {"token": ["this invitation has expired or was already used"]}


def test_inviting_again_replaces_the_link(helpdesk, cast, invitations, clock):
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com", teams=["support"])
    first = invitation_token(invitation_mails(helpdesk, zoe.email)[0])
    # On a clock that has not moved, too: the second link must differ and the first die.
    again = invitations.invite(
        cast.ada_actor, email="zoe@help.example.com", display_name="Zoe Q", teams=["billing"]
    )
    assert again.id == zoe.id and again.display_name == "Zoe Q"
    assert helpdesk.users.details(cast.ada_actor, zoe.id).team_ids == [cast.billing.id]
    second = invitation_token(invitation_mails(helpdesk, zoe.email)[1])
    assert second != first
    with pytest.raises(InvalidInput):
        invitations.accept_invitation(first, PASSWORD)

    clock.advance(minutes=5)
    invitations.reinvite(cast.ada_actor, zoe.id)
    third = invitation_token(invitation_mails(helpdesk, zoe.email)[2])
    with pytest.raises(InvalidInput):
        invitations.invited_user(second)
    assert invitations.accept_invitation(third, PASSWORD).id == zoe.id


def test_a_password_reset_also_ends_the_invitation(helpdesk, cast, invitations):
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com")
    token = invitation_token(invitation_mails(helpdesk, zoe.email)[0])
    helpdesk.users.set_password(cast.system, zoe.id, PASSWORD)
    with pytest.raises(InvalidInput):
        invitations.invited_user(token)


def test_an_account_that_can_log_in_is_not_invited(helpdesk, cast, invitations):
    helpdesk.users.set_password(cast.system, cast.ann.id, PASSWORD)
    with pytest.raises(InvalidInput) as caught:
        invitations.invite(cast.ada_actor, email="ANN@help.example.com")
    assert list(caught.value.errors) == ["email"]
    assert "already has an account that can log in" in str(caught.value)
    with pytest.raises(InvalidInput):
        invitations.reinvite(cast.ada_actor, cast.ann.id)

    helpdesk.users.update(cast.ada_actor, cast.frank.id, is_active=False)
    with pytest.raises(InvalidInput, match="this account is deactivated"):
        invitations.invite(cast.ada_actor, email=cast.frank.email, role="customer")
    assert invitation_mails(helpdesk, cast.ann.email) == []
    assert invitation_mails(helpdesk, cast.frank.email) == []


def test_a_customer_without_a_password_is_invited_as_staff(helpdesk, cast, invitations):
    """Frank came by email (no password); an admin makes him an agent by inviting him."""
    support = cast.support.id
    frank = invitations.invite(
        cast.ada_actor, email=cast.frank.email, role="agent", teams=[support]
    )
    assert frank.id == cast.frank.id and frank.role == "agent"
    assert helpdesk.users.details(cast.ada_actor, frank.id).team_ids == [support]
    assert frank.display_name == "Frank"  # no name given: the account keeps its own


def test_an_invitation_as_customer_takes_staff_work_away(helpdesk, cast, invitations):
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com", teams=["support"])
    helpdesk.organizations.update(cast.ada_actor, cast.acme.id, staff=[zoe.id])
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Hi", body="b").ticket
    assert ticket.assignee is not None and ticket.assignee.id == zoe.id
    invitations.invite(cast.ada_actor, email=zoe.email, role="customer")
    assert helpdesk.users.details(cast.ada_actor, zoe.id).team_ids == []
    assert helpdesk.organizations.get(cast.acme.id).staff_ids == []
    assert helpdesk.tickets.get(cast.ada_actor, ticket.id).assignee is None


def test_invitation_input_is_checked(helpdesk, cast, invitations):
    with pytest.raises(InvalidInput) as caught:
        invitations.invite(cast.ada_actor, email="not an address", role="boss")
    assert set(caught.value.errors) == {"email", "role"}
    with pytest.raises(InvalidInput) as caught:
        invitations.invite(
            cast.ada_actor, email="gus@acme.example.com", role="customer", teams=["support"]
        )
    assert caught.value.errors == {"teams": ["customers cannot join teams"]}
    with pytest.raises(InvalidInput) as caught:
        invitations.invite(cast.ada_actor, email="gus@acme.example.com", teams=["nowhere"])
    assert caught.value.errors == {"teams": ["unknown team 'nowhere'"]}
    assert helpdesk.users.find_by_email("gus@acme.example.com") is None


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_only_admins_invite(helpdesk, cast, invitations, who):
    actor = getattr(cast, f"{who}_actor")
    with pytest.raises(NotFound):
        invitations.invite(actor, email="zoe@help.example.com", role="admin")
    with pytest.raises(NotFound):
        invitations.reinvite(actor, cast.frank.id)
    assert helpdesk.users.find_by_email("zoe@help.example.com") is None
    assert invitation_mails(helpdesk, cast.frank.email) == []


def test_links_of_other_kinds_are_no_invitation(helpdesk, cast, invitations):
    helpdesk.accounts.request_password_reset(cast.frank.email)
    with helpdesk.sessionmaker() as session:
        reset = session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "account_reset")
        ).one()
    token = re.findall(r"/account/reset/([A-Za-z0-9_.-]+)", reset.body_text)[0]
    with pytest.raises(InvalidInput):
        invitations.accept_invitation(token, PASSWORD)
    with pytest.raises(InvalidInput):
        invitations.invited_user("garbage")


def test_invitations_need_a_secret_key(helpdesk_factory, cast):
    invitations = InvitationService(helpdesk_factory(deliver_after_commit=False))
    with pytest.raises(ConfigurationError):
        invitations.invite(cast.ada_actor, email="zoe@help.example.com")
    assert invitations.helpdesk.users.find_by_email("zoe@help.example.com") is None


def test_an_invitation_while_notifications_are_muted_sends_nothing(helpdesk, cast, invitations):
    helpdesk.mute_notifications = True
    zoe = invitations.invite(cast.ada_actor, email="zoe@help.example.com")
    assert invitation_mails(helpdesk, zoe.email) == []
    helpdesk.mute_notifications = False
    invitations.reinvite(cast.ada_actor, zoe.id)
    assert len(invitation_mails(helpdesk, zoe.email)) == 1
