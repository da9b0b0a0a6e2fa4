"""Who sees what. Each test is an attack or a promise: invisible tickets are NotFound, never
PermissionDenied, in detail pages, lists, counts, threads and attachments alike."""

from __future__ import annotations

import pytest

from ticketcore import Access, Action, Actor, ActorKind, NotFound, PermissionDenied, hookimpl
from ticketcore.models import Ticket
from ticketcore.schemas import UploadedFile
from ticketcore.testing import temporary_plugin


def open_ticket(helpdesk, actor, subject="Help", **fields):
    return helpdesk.tickets.create(actor, subject=subject, body="please", **fields).ticket


def assert_invisible(helpdesk, actor, ticket):
    """Every way in says the ticket does not exist."""
    with pytest.raises(NotFound):
        helpdesk.tickets.get(actor, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.get_by_track_id(actor, ticket.track_id)
    with pytest.raises(NotFound):
        helpdesk.messages.thread(actor, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.feedback(actor, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.messages.reply(actor, ticket.id, body="let me in")
    with pytest.raises(NotFound):
        helpdesk.tickets.close(actor, ticket.id)
    assert ticket.id not in {t.id for t in helpdesk.tickets.list(actor, per_page=100).items}


def test_customer_sees_only_own_tickets_by_default(helpdesk, cast):
    carols = open_ticket(helpdesk, cast.carol_actor, "Carol's")
    daves = open_ticket(helpdesk, cast.dave_actor, "Dave's")  # same organization
    assert helpdesk.tickets.get(cast.carol_actor, carols.id).subject == "Carol's"
    assert_invisible(helpdesk, cast.carol_actor, daves)
    assert helpdesk.tickets.counts(cast.carol_actor).total == 1


def test_attachment_of_another_customer_is_not_found(helpdesk, cast):
    daves = helpdesk.tickets.create(
        cast.dave_actor,
        subject="Contract",
        body="see file",
        attachments=[UploadedFile(filename="contract.pdf", content=b"%PDF")],
    ).ticket
    attachment = helpdesk.messages.thread(cast.dave_actor, daves.id)[0].attachments[0]
    with pytest.raises(NotFound):
        helpdesk.attachments.get(cast.carol_actor, attachment.id)
    with pytest.raises(NotFound):
        helpdesk.attachments.get(cast.erin_actor, attachment.id)
    with pytest.raises(NotFound):
        helpdesk.attachments.get(Actor.anonymous(), attachment.id)


def test_organization_view_lets_colleagues_read_but_not_reply(helpdesk_factory, cast):
    viewing = helpdesk_factory(organization_visibility="view")
    daves = open_ticket(viewing, cast.dave_actor, "Dave's")
    erins = open_ticket(viewing, cast.erin_actor, "Erin's")  # another organization
    assert viewing.tickets.get(cast.carol_actor, daves.id).subject == "Dave's"
    assert viewing.tickets.get(cast.carol_actor, daves.id).requester.email == cast.dave.email
    with pytest.raises(PermissionDenied):
        viewing.messages.reply(cast.carol_actor, daves.id, body="me too")
    with pytest.raises(PermissionDenied):
        viewing.tickets.close(cast.carol_actor, daves.id)
    assert_invisible(viewing, cast.carol_actor, erins)
    assert_invisible(viewing, cast.frank_actor, daves)  # no organization at all
    mine = viewing.tickets.list(cast.carol_actor, scope="mine")
    organization = viewing.tickets.list(cast.carol_actor, scope="organization")
    assert mine.total == 0
    assert [t.subject for t in organization.items] == ["Dave's"]


def test_organization_view_and_reply(helpdesk_factory, cast):
    replying = helpdesk_factory(organization_visibility="view_and_reply")
    daves = open_ticket(replying, cast.dave_actor)
    replying.messages.reply(cast.carol_actor, daves.id, body="same here")
    with pytest.raises(PermissionDenied):  # closing stays the requester's
        replying.tickets.close(cast.carol_actor, daves.id)


def test_cc_recipient_with_an_account_can_read_and_reply(helpdesk, cast):
    ticket = open_ticket(helpdesk, cast.carol_actor, cc=["ERIN@globex.example.com"])
    assert helpdesk.tickets.get(cast.erin_actor, ticket.id).id == ticket.id
    helpdesk.messages.reply(cast.erin_actor, ticket.id, body="Adding details")
    helpdesk.tickets.remove_cc(cast.carol_actor, ticket.id, "erin@globex.example.com")
    assert_invisible(helpdesk, cast.erin_actor, ticket)


def test_agents_see_their_teams_and_their_assignments(helpdesk, cast):
    support = open_ticket(helpdesk, cast.carol_actor, "Support ticket")
    billing = open_ticket(helpdesk, cast.carol_actor, "Billing ticket", team="billing")
    assert_invisible(helpdesk, cast.ann_actor, billing)
    assert_invisible(helpdesk, cast.bill_actor, support)
    helpdesk.tickets.update(cast.ada_actor, billing.id, assignee=cast.ann.id)
    assert helpdesk.tickets.get(cast.ann_actor, billing.id).subject == "Billing ticket"
    assert helpdesk.tickets.counts(cast.bill_actor).total == 1
    assert helpdesk.tickets.counts(cast.ada_actor).total == 2  # admins see everything


def test_agents_see_their_organizations_tickets(helpdesk, cast):
    org = helpdesk.organizations.create(
        Actor.system(), name="Initech", domains=["initech.example.com"], staff=[cast.bill.id]
    )
    customer = helpdesk.users.create(Actor.system(), email="pete@initech.example.com")
    assert customer.organization_id == org.id
    ticket = open_ticket(helpdesk, helpdesk.users.actor_for(customer), "Initech ticket")
    assert ticket.assignee.id == cast.bill.id  # the organization's staff get its tickets
    helpdesk.tickets.update(cast.ada_actor, ticket.id, assignee="none")
    # Unassigned and in the Support team, it stays visible to Bill through the organization.
    assert helpdesk.tickets.get(cast.bill_actor, ticket.id).assignee is None


def test_setting_lets_every_agent_see_every_ticket(helpdesk_factory, cast):
    open_all = helpdesk_factory(agents_see_all_tickets=True)
    billing = open_ticket(open_all, cast.carol_actor, team="billing")
    assert open_all.tickets.get(cast.ann_actor, billing.id).team_name == "Billing"


def test_customers_never_reach_agent_actions(helpdesk, cast):
    ticket = open_ticket(helpdesk, cast.carol_actor)
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.update(cast.carol_actor, ticket.id, priority="urgent")
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.update(cast.carol_actor, ticket.id, status="in_progress")
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).priority.name == "NORMAL"


def test_public_tickets_are_readable_by_anyone_without_emails(helpdesk_factory, cast):
    public = helpdesk_factory(public_tickets=True)
    ticket = open_ticket(public, cast.carol_actor, "How do I export?", is_public=True)
    private = open_ticket(public, cast.carol_actor, "My invoice")
    for reader in (Actor.anonymous(), cast.erin_actor):
        seen = public.tickets.get(reader, ticket.id)
        assert seen.requester.email is None and seen.cc == []
        assert all(m.author.email is None for m in public.messages.thread(reader, ticket.id))
        assert_invisible(public, reader, private)
        with pytest.raises(PermissionDenied):
            public.messages.reply(reader, ticket.id, body="me too")
    listed = public.tickets.list(Actor.anonymous(), scope="public")
    assert [t.subject for t in listed.items] == ["How do I export?"]


def test_public_flag_means_nothing_when_the_site_disables_it(helpdesk_factory, cast):
    on = helpdesk_factory(public_tickets=True)
    ticket = open_ticket(on, cast.carol_actor, is_public=True)
    off = helpdesk_factory(public_tickets=False)
    assert_invisible(off, Actor.anonymous(), ticket)
    assert_invisible(off, cast.erin_actor, ticket)


def test_plugin_can_deny_and_allow_by_query(helpdesk, cast):
    secret = open_ticket(helpdesk, cast.carol_actor, "[confidential] merger")
    normal = open_ticket(helpdesk, cast.carol_actor, "Printer")

    class Confidential:
        @hookimpl
        def ticket_access(self, helpdesk, actor):
            if actor.kind is ActorKind.AGENT:
                return Access(deny=Ticket.subject.like("[confidential]%"))
            return None

    class Auditor:
        @hookimpl
        def ticket_access(self, helpdesk, actor):
            if actor.user_id == cast.frank.id:
                return Access(allow=Ticket.organization_id == cast.acme.id)
            return None

    with temporary_plugin(helpdesk, Confidential()), temporary_plugin(helpdesk, Auditor()):
        assert_invisible(helpdesk, cast.ann_actor, secret)
        assert helpdesk.tickets.get(cast.ann_actor, normal.id)
        assert helpdesk.tickets.get(cast.ada_actor, secret.id)  # admins are not agents
        assert helpdesk.tickets.list(cast.frank_actor).total == 2
    assert_invisible(helpdesk, cast.frank_actor, secret)


def test_plugin_can_decide_one_action(helpdesk, cast):
    ticket = open_ticket(helpdesk, cast.carol_actor)

    class NoCustomerClosing:
        @hookimpl
        def permission_for_ticket(self, helpdesk, actor, ticket, action):
            return False if action is Action.FINISH else None

    with temporary_plugin(helpdesk, NoCustomerClosing()):
        with pytest.raises(PermissionDenied):
            helpdesk.tickets.close(cast.carol_actor, ticket.id)
        helpdesk.messages.reply(cast.carol_actor, ticket.id, body="replying still works")


def test_deactivated_user_cannot_act(helpdesk, cast):
    helpdesk.users.deactivate(Actor.system(), cast.carol.id)
    with pytest.raises(NotFound):
        helpdesk.users.actor_for(cast.carol)


def test_guest_actor_kind_is_scoped_to_one_ticket(helpdesk, cast):
    mine = open_ticket(helpdesk, cast.carol_actor)
    forged = Actor(ActorKind.GUEST, user_id=cast.carol.id, ticket_id=None)
    assert_invisible(helpdesk, forged, mine)
