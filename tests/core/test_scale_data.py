"""Scale data (issue 10): rows written in bulk must be what the services would have written.

Every check reads back through the public services or the portal where it can, so a ticket
that breaks an invariant the services keep shows up here rather than in a benchmark.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ticketcore import Actor, FakeClock, Helpdesk, Status
from ticketcore.cli import CliState, main
from ticketcore.demo import DEMO_PASSWORD
from ticketcore.models import (
    Attachment,
    AuditEvent,
    Counter,
    Message,
    OutboxMessage,
    TeamMember,
    Ticket,
    User,
)
from ticketcore.scale import ScaleSummary, load_scale_data
from ticketcore.testing import make_helpdesk
from ticketcore.trackid import normalize_track_id
from ticketcore.web import Portal
from ticketcore.web.testclient import PortalClient

SYSTEM = Actor.system()
SMALL = {"customers": 40, "organizations": 8, "agents": 6, "teams": 3}
N = 300


def load(helpdesk: Helpdesk, tickets: int = N, **kwargs: Any) -> ScaleSummary:
    return load_scale_data(helpdesk, tickets, **{**SMALL, **kwargs})


def ticket_rows(helpdesk: Helpdesk) -> list[tuple[Any, ...]]:
    columns = [c for c in Ticket.__table__.c if c.name not in ("id", "reply_token")]
    with helpdesk.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(Ticket.number))]


def test_counts_statuses_and_the_ticket_counter(helpdesk: Helpdesk) -> None:
    summary = load(helpdesk)
    assert summary.counts["tickets"] == N
    # Old tickets are nearly all finished; the open ones are mostly recent, as on a real desk.
    assert sum(summary.tickets_by_status.values()) == N
    finished = summary.tickets_by_status["closed"] + summary.tickets_by_status["resolved"]
    assert 0.9 * N <= finished < N
    counts = helpdesk.tickets.counts(SYSTEM)
    assert counts.total == N
    assert {s.value: n for s, n in counts.by_status.items()} == summary.tickets_by_status
    with helpdesk.engine.connect() as conn:
        assert conn.scalar(select(Counter.value).where(Counter.name == "ticket")) == N
        assert conn.scalar(select(func.max(Ticket.number))) == N
        messages = conn.scalar(select(func.count()).select_from(Message))
        # Generated people have made-up addresses: nothing may be queued to email them.
        assert conn.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert 2.5 * N < (messages or 0) < 4 * N  # "about three messages per ticket"
    # The next ticket made through the service carries on from the counter.
    customer = helpdesk.tickets.get_by_number(SYSTEM, 1).requester
    made = helpdesk.tickets.create(
        helpdesk.users.actor_for(customer.id), subject="After the load", body="Hello"
    )
    assert made.ticket.number == N + 1


def test_threads_are_consistent_with_their_tickets(helpdesk: Helpdesk) -> None:
    load(helpdesk)
    with helpdesk.engine.connect() as conn:
        tickets = conn.execute(select(Ticket)).all()
        members = set(conn.execute(select(TeamMember.team_id, TeamMember.user_id)).all())
        orgs = dict(conn.execute(select(User.id, User.organization_id)).all())
        audited = {
            (t, v)
            for t, v in conn.execute(
                select(AuditEvent.ticket_id, AuditEvent.new_value).where(
                    AuditEvent.field == "status"
                )
            )
        }
        created = set(
            conn.scalars(select(AuditEvent.ticket_id).where(AuditEvent.action == "created"))
        )
    for t in tickets:
        assert normalize_track_id(t.track_id) == t.track_id
        assert (t.team_id, t.assignee_id) in members
        assert t.organization_id == orgs[t.requester_id]
        assert t.id in created
        thread = helpdesk.messages.thread(SYSTEM, t.id)
        public = [m for m in thread if not m.is_internal]
        assert t.reply_count == len(public) - 1  # the opening message is not a reply
        assert t.note_count == len(thread) - len(public)
        assert t.last_reply_at == public[-1].created_at
        staff = [m for m in public[1:] if m.author is not None and m.author.id != t.requester_id]
        assert t.first_response_at == (staff[0].created_at if staff else None)
        assert t.response_by is not None and t.resolution_by is not None
        assert t.response_by > t.created_at
        assert (t.resolved_at is not None) == (t.status in (Status.RESOLVED, Status.CLOSED))
        assert (t.closed_at is not None) == (t.status is Status.CLOSED)
        assert (t.sla_paused_at is not None) == (t.status is Status.PENDING)
        if t.status is not Status.OPEN or t.reply_count:
            assert (t.id, t.status.value) in audited


def test_attachments_download_through_the_service(helpdesk: Helpdesk) -> None:
    load(helpdesk)
    with helpdesk.engine.connect() as conn:
        first = conn.scalar(select(Attachment.id).order_by(Attachment.id))
    assert first is not None
    out, content = helpdesk.attachments.get(SYSTEM, first)
    assert len(content) == out.size


def test_customer_and_agent_pages_render(helpdesk_factory: Callable[..., Helpdesk]) -> None:
    helpdesk = helpdesk_factory(secret_key="scale-test-secret-key-that-is-long-enough-0123")
    load(helpdesk)
    ticket = helpdesk.tickets.get_by_number(SYSTEM, 1)
    portal = Portal(helpdesk)
    requester = ticket.requester.id
    newest = helpdesk.tickets.list(helpdesk.users.actor_for(requester)).items[0]
    assert newest.requester.id == requester
    customer = PortalClient(portal)
    customer.log_in_as(requester)
    listing = customer.get("/support/tickets?show=all")
    assert listing.status == 200 and newest.track_id in listing.text
    assert customer.get(f"/support/tickets/{ticket.track_id}").status == 200
    agent = PortalClient(portal)
    agent.log_in_as(ticket.assignee.id)  # type: ignore[union-attr]
    assert agent.get("/support/agent").status == 200
    assert agent.get(f"/support/agent/tickets/{ticket.track_id}").status == 200


def test_staff_log_in_with_the_demo_password(helpdesk: Helpdesk) -> None:
    summary = load(helpdesk, 10)
    for email in summary.logins[:2]:
        assert helpdesk.accounts.login(email, DEMO_PASSWORD, address="127.0.0.1").email == email


def test_refuses_a_helpdesk_with_tickets(helpdesk: Helpdesk) -> None:
    load(helpdesk, 5)
    with pytest.raises(Exception, match="without tickets"):
        load(helpdesk, 5)


def test_same_seed_same_rows(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    made = [make_helpdesk(tmp_path / name, clock=FakeClock()) for name in ("one", "two")]
    try:
        for helpdesk in made:
            load(helpdesk, 120, seed=7)
        assert ticket_rows(made[0]) == ticket_rows(made[1])
    finally:
        for helpdesk in made:
            helpdesk.close()


def test_the_issue_population_by_default(tmp_path: Path) -> None:
    helpdesk = make_helpdesk(tmp_path)
    try:
        summary = load_scale_data(helpdesk, 20)
        assert summary.counts["organizations"] == 200
        assert summary.counts["teams"] == 5
        assert summary.counts["users"] == 2_000 + 20 + 1
        assert len(helpdesk.organizations.list()) == 200
    finally:
        helpdesk.close()


def test_cli_scale_option(tmp_path: Path) -> None:
    helpdesk = make_helpdesk(tmp_path)
    try:
        result = CliRunner(catch_exceptions=False).invoke(
            main, ["demo-data", "--scale", "30"], obj=CliState(helpdesk=helpdesk)
        )
        assert result.exit_code == 0, result.output
        assert "Scale data loaded in" in result.stdout
        assert "tickets" in result.stdout and "30" in result.stdout
        assert helpdesk.tickets.counts(SYSTEM).total == 30
    finally:
        helpdesk.close()


def test_bench_gen_script(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "bench" / "gen.py"
    url = f"sqlite:///{tmp_path / 'gen.db'}"
    done = subprocess.run(
        [sys.executable, str(script), "25", "--database-url", url, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "TICKETCORE_ATTACHMENTS_DIR": str(tmp_path / "files")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("25 tickets in ")
