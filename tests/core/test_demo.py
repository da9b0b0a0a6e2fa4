"""`load_demo_data`: believable, repeatable, spread over the last month, on an empty desk only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ticketcore import Actor, Conflict, FakeClock, Helpdesk
from ticketcore.demo import DEMO_PASSWORD, load_demo_data
from ticketcore.testing import make_helpdesk

SYSTEM = Actor.system()


# SQLite only: tests/core/test_cli.py loads the demo on every backend through the CLI.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_data_lives_in_the_last_30_days_of_the_helpdesk_clock(
    helpdesk: Helpdesk, clock: FakeClock, tmp_path: Path
) -> None:
    now = clock.now()
    summary = load_demo_data(helpdesk, tickets=12, seed=7)

    assert helpdesk.clock is clock and clock.now() == now  # the fake clock was put back
    assert summary.counts["tickets"] == 12 == sum(summary.tickets_by_status.values())
    assert summary.counts["users"] == len(summary.logins) == 12
    assert {login.role for login in summary.logins} == {"admin", "agent", "customer"}
    assert all(login.password == DEMO_PASSWORD for login in summary.logins)
    assert helpdesk.users.authenticate("carla@acme.example.com", DEMO_PASSWORD) is not None

    # The knowledge base has something to find, and suggest on the new-ticket page.
    assert summary.counts["kb_articles"] == 8
    visitor = Actor.anonymous()
    found = helpdesk.kb.search(visitor, "forgot password").hits
    assert [hit.article.title for hit in found] == ["Resetting your password"]
    assert helpdesk.kb.search(visitor, "holiday season").hits == []  # only a draft has it

    tickets = helpdesk.tickets.list(SYSTEM, per_page=100).items
    assert len(tickets) == 12
    for ticket in tickets:
        thread = helpdesk.messages.thread(SYSTEM, ticket.id)
        stamps = [ticket.created_at, ticket.updated_at, *(m.created_at for m in thread)]
        assert all(now - timedelta(days=30) <= s <= now for s in stamps), ticket
        assert [m.created_at for m in thread] == sorted(m.created_at for m in thread)
    first, last = min(t.created_at for t in tickets), max(t.created_at for t in tickets)
    assert last - first > timedelta(days=7)  # spread out, not all born in one afternoon

    teams = {t.name: t for t in helpdesk.teams.list()}
    assert set(teams) == {"Support", "Billing", "Sales"} and teams["Support"].is_default
    orgs = {o.name: o for o in helpdesk.organizations.list()}
    assert orgs["Acme Corporation"].domains == ["acme.example.com"]
    assert orgs["Acme Corporation"].staff_ids
    assert orgs["Globex"].domains == ["globex.example.com"]
    assert [t.name for t in helpdesk.templates.list()] == [
        "Bug Report",
        "Feature Request",
        "General Question",
    ]
    bug = helpdesk.templates.get("bug-report")
    steps = next(f for f in bug.fields if f.key == "steps")
    assert steps.type == "long_text" and steps.required
    assert next(f for f in bug.fields if f.key == "browser").type == "select"
    customers = [login for login in summary.logins if login.role == "customer"]
    assert sum(1 for c in customers if c.organization is None) == 2

    # The same seed on another database at the same time gives the same desk.
    (tmp_path / "again").mkdir()
    with make_helpdesk(tmp_path / "again", clock=FakeClock(now)) as again:
        load_demo_data(again, tickets=12, seed=7, progress=False)
        assert snapshot(again) == snapshot(helpdesk)
    assert len({row[2] for row in snapshot(helpdesk)}) >= 4  # statuses are mixed


def snapshot(helpdesk: Helpdesk) -> list[tuple[object, ...]]:
    items = helpdesk.tickets.list(SYSTEM, per_page=100, sort="created", descending=False).items
    return [(t.number, t.subject, t.status, t.kind, t.requester.email, t.created_at) for t in items]


def test_demo_data_refuses_a_helpdesk_that_has_tickets(helpdesk: Helpdesk) -> None:
    customer = helpdesk.users.create(SYSTEM, email="someone@mail.example.com")
    helpdesk.tickets.create(helpdesk.users.actor_for(customer), subject="Real", body="Ticket")

    with pytest.raises(Conflict, match="already has 1 ticket"):
        load_demo_data(helpdesk, tickets=5)
    with pytest.raises(ValueError, match="zero or more"):
        load_demo_data(helpdesk, tickets=-1)
    assert helpdesk.users.find_by_email("admin@support.example.com") is None
    assert helpdesk.teams.list() == []


def test_demo_data_refuses_when_demo_accounts_exist(helpdesk: Helpdesk) -> None:
    helpdesk.users.create(SYSTEM, email="alice@support.example.com", role="agent")

    with pytest.raises(Conflict, match=r"alice@support\.example\.com"):
        load_demo_data(helpdesk, tickets=5)
    assert helpdesk.teams.list() == []
