"""The standard cast of the test suite, importable from tests in any folder (conftest is not)."""

from __future__ import annotations

from types import SimpleNamespace

from ticketcore import Actor, Helpdesk


def build_cast(helpdesk: Helpdesk) -> SimpleNamespace:
    """A small support desk: two teams, two organizations, agents, customers and their actors.

    support team (default): agent `ann`; billing team: agent `bill`; `ada` is an admin in no team.
    Acme (acme.example.com, staff: nobody) has customers `carol` and `dave`; Globex
    (globex.example.com) has `erin`; `frank` belongs to no organization.
    """
    system = Actor.system()
    users = helpdesk.users
    ns = SimpleNamespace(system=system)
    ns.ann = users.create(system, email="ann@help.example.com", display_name="Ann", role="agent")
    ns.bill = users.create(system, email="bill@help.example.com", display_name="Bill", role="agent")
    ns.ada = users.create(system, email="ada@help.example.com", display_name="Ada", role="admin")
    ns.support = helpdesk.teams.create(system, name="Support", is_default=True, members=[ns.ann.id])
    ns.billing = helpdesk.teams.create(system, name="Billing", members=[ns.bill.id])
    ns.acme = helpdesk.organizations.create(system, name="Acme", domains=["acme.example.com"])
    ns.globex = helpdesk.organizations.create(system, name="Globex", domains=["globex.example.com"])
    ns.carol = users.create(system, email="carol@acme.example.com", display_name="Carol")
    ns.dave = users.create(system, email="dave@acme.example.com", display_name="Dave")
    ns.erin = users.create(system, email="erin@globex.example.com", display_name="Erin")
    ns.frank = users.create(system, email="frank@mail.example.com", display_name="Frank")
    for name in ("ann", "bill", "ada", "carol", "dave", "erin", "frank"):
        setattr(ns, f"{name}_actor", users.actor_for(getattr(ns, name)))
    return ns
