"""Administering organizations: renaming, their email domains (one organization per domain),
their staff in order (who sees and gets their tickets), and deleting only an organization
nothing refers to — all for admins only."""

from __future__ import annotations

import pytest

from ticketcore.errors import Conflict, InvalidInput, NotFound


def test_an_admin_renames_and_replaces_domains_and_staff(helpdesk, cast):
    org = helpdesk.organizations.update(
        cast.ada_actor,
        cast.acme.id,
        name="Acme Corporation",
        domains=["acme.example.com", "@ACME.example.org", "acme.example.org"],
        staff=[cast.bill.email, cast.ann.id],
    )
    assert org.name == "Acme Corporation" and org.slug == "acme"
    assert org.domains == ["acme.example.com", "acme.example.org"]
    assert org.staff_ids == [cast.bill.id, cast.ann.id]

    reordered = helpdesk.organizations.update(
        cast.ada_actor, "acme", domains=["acme.example.org"], staff=[cast.ann.id, cast.bill.id]
    )
    assert reordered.domains == ["acme.example.org"]
    assert reordered.staff_ids == [cast.ann.id, cast.bill.id]
    assert helpdesk.organizations.get("acme") == reordered
    # Customers already in it stay when their domain goes.
    assert helpdesk.users.get(cast.carol.id).organization_id == cast.acme.id
    # The filters' choices: names by id, in name order, as `list` has them.
    assert helpdesk.organizations.names() == {o.id: o.name for o in helpdesk.organizations.list()}
    assert list(helpdesk.organizations.names().values()) == sorted(
        o.name for o in helpdesk.organizations.list()
    )


def test_new_customers_join_by_the_new_domain(helpdesk, cast):
    helpdesk.organizations.update(cast.ada_actor, cast.acme.id, domains=["acme.example.net"])
    newcomer = helpdesk.users.create(cast.system, email="gus@acme.example.net")
    stranger = helpdesk.users.create(cast.system, email="hal@acme.example.com")
    assert newcomer.organization_id == cast.acme.id
    assert stranger.organization_id is None


def test_the_first_active_staff_member_gets_new_tickets_and_staff_see_them(helpdesk, cast):
    helpdesk.organizations.update(cast.ada_actor, cast.acme.id, staff=[cast.bill.id, cast.ann.id])
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Help", body="b").ticket
    assert ticket.assignee is not None and ticket.assignee.id == cast.bill.id
    # Bill is in Billing, the ticket in Support: he sees it as Acme's staff.
    assert helpdesk.tickets.get(cast.bill_actor, ticket.id).id == ticket.id

    helpdesk.organizations.update(cast.ada_actor, cast.acme.id, staff=[cast.ann.id])
    later = helpdesk.tickets.create(cast.dave_actor, subject="Again", body="b").ticket
    assert later.assignee is not None and later.assignee.id == cast.ann.id


def test_a_domain_of_another_organization_is_refused(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.organizations.update(
            cast.ada_actor,
            cast.acme.id,
            name="Acme 2",
            domains=["acme.example.com", "globex.example.com"],
        )
    assert caught.value.errors == {
        "domains": ["already used by another organization: globex.example.com"]
    }
    assert helpdesk.organizations.get(cast.acme.id).name == "Acme"


def test_bad_domains_and_staff_are_all_reported(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.organizations.update(cast.ada_actor, cast.acme.id, domains=["not a domain"])
    assert caught.value.errors == {"domains": ["'not a domain' is not a domain name"]}
    with pytest.raises(InvalidInput) as caught:
        helpdesk.organizations.update(
            cast.ada_actor,
            cast.acme.id,
            staff=[cast.carol.id, 9999],
            domains=["globex.example.com"],
        )
    assert caught.value.errors == {
        "domains": ["already used by another organization: globex.example.com"],
        "staff": [f"{cast.carol.email} is not an agent", "unknown user 9999"],
    }
    assert helpdesk.organizations.get(cast.acme.id).staff_ids == []


def test_an_unused_organization_is_deleted(helpdesk, cast):
    org = helpdesk.organizations.create(
        cast.ada_actor, name="Initech", domains=["initech.example.com"], staff=[cast.ann.id]
    )
    helpdesk.organizations.delete(cast.ada_actor, org.id)
    assert [o.name for o in helpdesk.organizations.list()] == ["Acme", "Globex"]
    # Its domain is free again.
    again = helpdesk.organizations.create(
        cast.ada_actor, name="Initrode", domains=["initech.example.com"]
    )
    assert again.domains == ["initech.example.com"]


def test_an_organization_in_use_is_not_deleted(helpdesk, cast):
    with pytest.raises(Conflict) as caught:
        helpdesk.organizations.delete(cast.ada_actor, cast.acme.id)
    assert str(caught.value) == "Acme cannot be deleted: it still has 2 users."

    helpdesk.tickets.create(cast.erin_actor, subject="s", body="b")
    helpdesk.users.update(cast.ada_actor, cast.erin.id, organization=0)
    with pytest.raises(Conflict) as caught:
        helpdesk.organizations.delete(cast.ada_actor, cast.globex.id)
    assert str(caught.value) == "Globex cannot be deleted: it still has 1 ticket."

    org = helpdesk.organizations.create(cast.ada_actor, name="Initech")
    helpdesk.sla.create_policy(
        cast.ada_actor, name="Initech", organization=org.id, first_response_minutes=30
    )
    with pytest.raises(Conflict, match="it still has 1 SLA policy"):
        helpdesk.organizations.delete(cast.ada_actor, org.id)


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_only_admins_change_organizations(helpdesk, cast, who):
    actor = getattr(cast, f"{who}_actor")
    with pytest.raises(NotFound):
        helpdesk.organizations.update(actor, cast.acme.id, staff=[cast.ann.id])
    with pytest.raises(NotFound):
        helpdesk.organizations.delete(actor, cast.acme.id)
    assert helpdesk.organizations.get(cast.acme.id).staff_ids == []


def test_an_unknown_organization_is_not_found(helpdesk, cast):
    with pytest.raises(NotFound):
        helpdesk.organizations.update(cast.ada_actor, 9999, name="X")
    with pytest.raises(NotFound):
        helpdesk.organizations.delete(cast.ada_actor, "nowhere")
