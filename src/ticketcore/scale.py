"""Scale data: a large, deterministic helpdesk to measure ticketcore against (issue 10).

`demo.py` goes through the services, which is right for fifty tickets and far too slow for a
hundred thousand: every ticket is a transaction with its hooks and notifications. Here the
people and the settings (a few hundred rows) still go through the services, but tickets,
messages, attachments, audit events and SLA warnings are written with SQLAlchemy Core in
batches of a few thousand rows, one transaction per batch. The rows are made to be what the
services would have written for the same story: numbers from the ticket counter, track IDs in
the public format, reply and note counts and last-reply times that match the thread, status
timestamps and audit events for every change, SLA deadlines from the policies' calendars
(with the resolution clock paused while a ticket waits on the customer), and no outbox rows,
since nobody should be emailed about generated tickets.
"""

from __future__ import annotations

import hashlib
import mimetypes
import random
import sys
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from tqdm import tqdm

from .clock import FakeClock
from .db import analyze
from .demo import DEMO_PASSWORD, ENDINGS, US_EASTERN, Ending
from .demo_stories import IN_PROGRESS, STORIES, Story
from .errors import Conflict
from .helpdesk import Helpdesk
from .models import (
    Attachment,
    AuditEvent,
    Counter,
    Message,
    SlaEvent,
    Ticket,
    User,
)
from .models.accounts import Role
from .models.messages import MessageSource
from .models.sla import SlaState
from .models.tickets import ReplySide
from .permissions import Actor
from .rendering import render_markdown
from .sla.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from .sla.policy import target_state
from .trackid import ALPHABET
from .workflow import Priority, Status, TicketKind

__all__ = ["ScaleSummary", "load_scale_data"]

_BATCH = 2_000  # tickets per transaction: big enough to amortise, small enough for MariaDB
_DAYS = 730  # "spread over two years", ending now
_RECENT = timedelta(days=3)
_MONTH = timedelta(days=30)
_MONTH_ENDINGS: tuple[Ending, ...] = (
    "closed", "resolved", "pending", "open", "in_progress", "customer_replied",
)  # fmt: skip
_MONTH_WEIGHTS = (55, 30, 5, 4, 3, 3)
_OLD_ENDINGS: tuple[Ending, ...] = ("closed", "resolved", "pending", "open", "in_progress")
_OLD_WEIGHTS = (970, 20, 4, 3, 3)
_STAFF_DOMAIN = "scale.example.com"
_TEAMS = ("Support", "Billing", "Sales", "Technical", "Onboarding")
_STORY_TEAM = {"support": "Support", "billing": "Billing", "sales": "Sales"}
_FIRST = (
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gita", "Hugo", "Ines", "Jon", "Kaito", "Lara",
    "Mateo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen",
    "Ximena", "Yusuf", "Zoe", "Arjun", "Bea", "Cyril", "Dana",
)  # fmt: skip
_LAST = (
    "Adams", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hoang", "Ivanova",
    "Jensen", "Kowalski", "Laine", "Moreau", "Novak", "Okafor", "Patel", "Quispe", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou",
)  # fmt: skip
_ORG_WORDS = (
    "Acme", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "River", "Summit",
    "Tidal",
)  # fmt: skip
_ORG_KINDS = ("Labs", "Systems", "Foods", "Logistics", "Health", "Media", "Energy", "Bank")
_FILES = (
    ("screenshot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_000),
    ("invoice.pdf", b"%PDF-1.4\n% scale data\n" + b"0" * 4_000),
    ("error-log.txt", b"ERROR 500 at /checkout\n" * 40),
)
# Placeholders that Markdown leaves alone, so a story is rendered once and names put in after.
_CUSTOMER, _AGENT = "ZZCUSTOMERZZ", "ZZAGENTZZ"


@dataclass(frozen=True)
class ScaleSummary:
    """What `load_scale_data` created, and the logins that work on it (all `DEMO_PASSWORD`)."""

    counts: dict[str, int]
    tickets_by_status: dict[str, int]
    logins: tuple[str, ...]  # the admin first, then the agents; customers have no password


@dataclass
class _Thread:
    """One ticket's rows before it has an id: the ticket's columns, its messages in order
    (with the files of each), and its audit events (message ids filled in after insert)."""

    ticket: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: list[int | None] = field(default_factory=list)  # index into _FILES per message
    audit: list[dict[str, Any]] = field(default_factory=list)
    audit_message: list[int | None] = field(default_factory=list)  # message index it names
    sla_events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Policy:
    id: int
    calendar: BusinessCalendar
    response: int
    resolution: int


def load_scale_data(
    helpdesk: Helpdesk,
    tickets: int,
    *,
    seed: int = 1,
    progress: bool = False,
    customers: int = 2_000,
    organizations: int = 200,
    agents: int = 20,
    teams: int = 5,
) -> ScaleSummary:
    """Fill an empty helpdesk with `tickets` ticket threads over the last two years.

    The same `seed` (and population) gives the same rows. The admin and the agents log in
    with `DEMO_PASSWORD`; customers get no password, since hashing thousands is slow and
    nobody needs to log in as all of them. Raises `Conflict` unless the helpdesk is empty.
    """
    if tickets < 0 or customers < 1 or not 1 <= organizations <= customers:
        raise ValueError("need tickets >= 0 and 1 <= organizations <= customers")
    if not 1 <= teams <= len(_TEAMS) or agents < teams:
        raise ValueError(f"need 1 to {len(_TEAMS)} teams and at least one agent per team")
    return _Loader(helpdesk, random.Random(seed)).load(
        tickets, progress, customers, organizations, agents, teams
    )


class _Loader:
    def __init__(self, helpdesk: Helpdesk, rng: random.Random) -> None:
        self.hd = helpdesk
        self.rng = rng
        self.system = Actor.system()
        # The threads end at midnight UTC today, not this second: loads on the same day are
        # identical, which a benchmark comparing runs relies on.
        self.now = helpdesk.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.counts: Tally[str] = Tally()
        self.team_ids: dict[str, int] = {}
        self.team_agents: dict[int, list[tuple[int, str]]] = {}  # team id → (user id, email)
        self.customers: list[tuple[int, int, str]] = []  # user id, organization id, first name
        self.agent_names: dict[int, str] = {}
        self.policies: dict[int | None, _Policy] = {}  # by team id; None: the default
        self.track_ids: set[str] = set()
        self.html: dict[str, str] = {}
        self.pause = set(helpdesk.settings.sla_pause_statuses)

    # -------------------------------------------------------------- top level

    def load(
        self, tickets: int, progress: bool, customers: int, orgs: int, agents: int, teams: int
    ) -> ScaleSummary:
        if self.hd.tickets.counts(self.system).total:
            raise Conflict("scale data only goes into a helpdesk without tickets")
        # The people and settings exist before the first ticket, as on a desk two years old.
        original, self.hd.clock = self.hd.clock, FakeClock(self.now - timedelta(days=_DAYS + 1))
        try:
            logins = self._staff(agents, teams)
            self._sla()
            self._customers(customers, orgs)
        finally:
            self.hd.clock = original
        with self.hd.engine.begin() as conn:
            start = int(conn.scalar(select(Counter.value).where(Counter.name == "ticket")) or 0)
        created = sorted(
            self.now - timedelta(seconds=self.rng.uniform(600, _DAYS * 86_400))
            for _ in range(tickets)
        )
        endings = [self._ending(self.now - when) for when in created]
        by_status: Tally[str] = Tally()
        with tqdm(
            total=tickets,
            desc="Scale tickets",
            unit="ticket",
            file=sys.stderr,
            disable=not progress,
        ) as bar:
            for lo in range(0, tickets, _BATCH):
                threads = [
                    self._thread(start + i + 1, created[i], endings[i])
                    for i in range(lo, min(lo + _BATCH, tickets))
                ]
                by_status.update(str(t.ticket["status"]) for t in threads)
                self._write(threads)
                bar.update(len(threads))
        analyze(self.hd.engine)  # as a desk in use has them; a fresh bulk load has none yet
        return ScaleSummary(
            counts=dict(self.counts),
            tickets_by_status={s.value: by_status[s.value] for s in Status},
            logins=tuple(logins),
        )

    # -------------------------------------------------------------- people and settings

    def _staff(self, agents: int, teams: int) -> list[str]:
        admin = self.hd.users.create(
            self.system,
            email=f"admin@{_STAFF_DOMAIN}",
            display_name="Morgan Admin",
            role="admin",
            password=DEMO_PASSWORD,
        )
        logins = [admin.email]
        ids: dict[str, int] = {}
        members: dict[str, list[str]] = {name: [] for name in _TEAMS[:teams]}
        for i in range(agents):
            name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 7) % len(_LAST)]}"
            agent = self.hd.users.create(
                self.system,
                email=f"agent{i + 1:02d}@{_STAFF_DOMAIN}",
                display_name=name,
                role="agent",
                password=DEMO_PASSWORD,
            )
            members[_TEAMS[i % teams]].append(agent.email)
            self.agent_names[agent.id] = name.split()[0]
            logins.append(agent.email)
            ids[agent.email] = agent.id
        for name, emails in members.items():
            team = self.hd.teams.create(
                self.system, name=name, is_default=name == _TEAMS[0], members=emails
            )
            self.team_ids[name] = team.id
            self.team_agents[team.id] = [(ids[e], e) for e in emails]
        self.counts["users"] += len(logins)
        self.counts["teams"] = len(members)
        return logins

    def _sla(self) -> None:
        """The demo's shape: billing keeps office hours, everything else runs around the clock."""
        calendar = self.hd.sla.create_calendar(
            self.system, name="US Eastern office", definition=US_EASTERN
        )
        billing = self.team_ids.get("Billing")
        specs: list[tuple[str, int | None, dict[str, Any], int, int]] = [
            ("Standard", None, TWENTY_FOUR_SEVEN, 4 * 60, 3 * 24 * 60)
        ]
        if billing is not None:
            specs.append(("Billing office hours", billing, US_EASTERN, 60, 2 * 8 * 60))
        for name, team, definition, response, resolution in specs:
            created = self.hd.sla.create_policy(
                self.system,
                name=name,
                is_default=team is None,
                team=team,
                calendar=calendar.slug if team is not None else None,
                first_response_minutes=response,
                resolution_minutes=resolution,
            )
            self.policies[team] = _Policy(
                created.id, BusinessCalendar.from_dict(definition), response, resolution
            )
        self.counts["sla policies"] = len(specs)

    def _customers(self, count: int, orgs: int) -> None:
        """Organizations through the service (a few hundred); customers in one Core insert,
        with exactly the columns `users.create` fills for a passwordless customer."""
        domains: list[tuple[int, str]] = []
        for i in range(orgs):
            name = f"{_ORG_WORDS[i % len(_ORG_WORDS)]} {_ORG_KINDS[i // len(_ORG_WORDS) % 8]}"
            if i >= len(_ORG_WORDS) * len(_ORG_KINDS):
                name += f" {i // (len(_ORG_WORDS) * len(_ORG_KINDS)) + 1}"
            domain = f"org{i + 1:03d}.example.com"
            org = self.hd.organizations.create(self.system, name=name, domains=[domain])
            domains.append((org.id, domain))
        self.counts["organizations"] = orgs
        rows = []
        for i in range(count):
            org_id, domain = domains[i % orgs]
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            email = f"{first.lower()}.{last.lower()}{i + 1}@{domain}"
            rows.append(
                {
                    "email": email,
                    "email_key": email,
                    "display_name": f"{first} {last}",
                    "role": Role.CUSTOMER,
                    "organization_id": org_id,
                    "is_active": True,
                    "password_hash": None,
                    "timezone": "UTC",
                    "locale": "en",
                    "created_at": self.hd.clock.now(),
                    "email_verified_at": None,
                }
            )
        with self.hd.engine.begin() as conn:
            before = int(conn.scalar(select(func.max(User.id))) or 0)
            conn.execute(insert(User), rows)
            found = conn.execute(
                select(User.id, User.organization_id, User.display_name)
                .where(User.id > before)
                .order_by(User.id)
            ).all()
        self.customers = [(uid, org or 0, name.split()[0]) for uid, org, name in found]
        self.counts["users"] += count

    # -------------------------------------------------------------- one ticket

    def _track_id(self) -> str:
        while True:  # same alphabet and shape as `trackid.new_track_id`, but from the seed
            s = "".join(self.rng.choices(ALPHABET, k=10))
            candidate = f"{s[:3]}-{s[3:6]}-{s[6:]}"
            if candidate not in self.track_ids:
                self.track_ids.add(candidate)
                return candidate

    def _body(self, text: str, customer: str, agent: str) -> tuple[str, str]:
        html = self.html.get(text)
        if html is None:
            placeholders = text.format(customer=_CUSTOMER, agent=_AGENT)
            html = self.html[text] = render_markdown(placeholders)
        body = text.format(customer=customer, agent=agent)
        return body, html.replace(_CUSTOMER, customer).replace(_AGENT, agent)

    def _ending(self, age: timedelta) -> Ending:
        """How a ticket of this age stands today. A desk two years old has finished nearly all
        of its old tickets: the demo's mix (half of them still open) holds for the last few
        days, most of the last month is done, and older tickets are closed but for the odd one
        left waiting (about 1%), so the backlog is about one ticket in a hundred, not half."""
        if age < _RECENT:
            return ENDINGS[self.rng.randrange(len(ENDINGS))]
        if age < _MONTH:
            return self.rng.choices(_MONTH_ENDINGS, _MONTH_WEIGHTS)[0]
        return self.rng.choices(_OLD_ENDINGS, _OLD_WEIGHTS)[0]

    def _thread(self, number: int, created: datetime, ending: Ending) -> _Thread:
        rng = self.rng
        story: Story = rng.choice(STORIES)
        requester, org_id, customer_name = rng.choice(self.customers)
        team_name = _STORY_TEAM.get(story.team, _TEAMS[0])
        if team_name not in self.team_ids or rng.random() < 0.3:
            team_name = rng.choice(list(self.team_ids))
        team_id = self.team_ids[team_name]
        agent_id, agent_email = rng.choice(self.team_agents[team_id])
        agent_name = self.agent_names[agent_id]
        policy = self.policies.get(team_id) or self.policies[None]
        t = _Timeline(created, self.now, rng)
        ticket: dict[str, Any] = {
            "number": number,
            "track_id": self._track_id(),
            "subject": story.subject,
            "kind": TicketKind.TICKET,
            "requester_id": requester,
            "organization_id": org_id or None,
            "team_id": team_id,
            "assignee_id": agent_id,
            "priority": Priority[story.priority.upper()],
            "status": Status.OPEN,
            "is_public": False,
            "template_id": None,
            "custom_fields": {},
            "reply_token": hashlib.sha256(f"{number}:{rng.random()}".encode()).hexdigest()[:24],
            "guest_token_hash": None,
            "created_at": created,
            "updated_at": created,
            "first_response_at": None,
            "last_reply_at": created,
            "last_reply_by": ReplySide.CUSTOMER,
            "reply_count": 0,
            "note_count": 0,
            "resolved_at": None,
            "closed_at": None,
            "sla_policy_id": policy.id,
            "response_by": policy.calendar.add(created, policy.response),
            "resolution_by": policy.calendar.add(created, policy.resolution),
            "sla_state": SlaState.ON_TRACK,
            "sla_paused_at": None,
            "sla_paused_minutes": 0.0,
            "conversation_type": None,
            "awaited_document": None,
            "document_received_at": None,
            "merged_into_id": None,
        }
        thread = _Thread(ticket)
        customer_actor = (requester, "customer")
        agent_actor = (agent_id, "agent")

        def audit(actor: tuple[int, str], action: str, fld: str | None = None,
                  old: str | None = None, new: str | None = None,
                  message: int | None = None) -> None:  # fmt: skip
            thread.audit.append(
                {
                    "actor_id": actor[0],
                    "actor_kind": actor[1],
                    "action": action,
                    "field": fld,
                    "old_value": old,
                    "new_value": new,
                    "created_at": t.at,
                }
            )
            thread.audit_message.append(message)

        def message(author: int, text: str, *, internal: bool = False) -> int:
            body, html = self._body(text, customer_name, agent_name)
            thread.messages.append(
                {
                    "author_id": author,
                    "is_internal": internal,
                    "source": MessageSource.WEB,
                    "body": body,
                    "body_html": html,
                    "email_message_id": None,
                    "created_at": t.at,
                }
            )
            file = rng.randrange(len(_FILES)) if not internal and rng.random() < 0.05 else None
            thread.files.append(file)
            return len(thread.messages) - 1

        def status(actor: tuple[int, str], new: Status) -> None:
            old = ticket["status"]
            ticket["status"] = new
            ticket["updated_at"] = t.at
            if new is Status.RESOLVED:
                ticket["resolved_at"] = t.at
            elif new is Status.CLOSED:
                ticket["closed_at"] = t.at
                ticket["resolved_at"] = ticket["resolved_at"] or t.at
            else:
                ticket["resolved_at"] = ticket["closed_at"] = None
            audit(actor, "changed", "status", old.value, new.value)
            self._sla_on_status(thread, policy, old, new, t.at)

        def reply(actor: tuple[int, str], text: str, new: Status | None = None) -> None:
            index = message(actor[0], text)
            ticket["reply_count"] += 1
            ticket["last_reply_at"] = ticket["updated_at"] = t.at
            if actor[1] == "agent":
                ticket["last_reply_by"] = ReplySide.AGENT
                if ticket["first_response_at"] is None:
                    ticket["first_response_at"] = t.at
                    if t.at > ticket["response_by"]:
                        self._breach(thread, "response", ticket["response_by"], t.at)
            else:
                ticket["last_reply_by"] = ReplySide.CUSTOMER
            if new is not None and new is not ticket["status"]:
                status(actor, new)
            audit(actor, "replied", message=index)

        def note() -> None:
            index = message(agent_id, story.note, internal=True)
            ticket["note_count"] += 1
            audit(agent_actor, "noted", message=index)

        message(requester, story.body)
        audit(customer_actor, "created")
        audit(customer_actor, "changed", "assignee", None, agent_email)
        t.advance(0.3, 8)
        if ending == "open":
            if rng.random() < 0.4:
                note()
        elif ending == "in_progress":
            note()
            t.advance(0.2, 3)
            reply(agent_actor, IN_PROGRESS, Status.IN_PROGRESS)
        else:
            # Half of the finished tickets end with the first answer; the rest go back and forth.
            at_once = ending in ("resolved", "closed") and rng.random() < 0.5
            reply(agent_actor, story.answer, Status.RESOLVED if at_once else Status.PENDING)
            if rng.random() < 0.35:
                t.advance(0.1, 1)
                note()
            if at_once:
                if ending == "closed":
                    t.advance(24, 96)
                    status(agent_actor, Status.CLOSED)
            elif ending != "pending":
                t.advance(1, 30)
                reply(customer_actor, story.followup, Status.OPEN)  # back to Open
                if ending != "customer_replied":
                    t.advance(0.5, 12)
                    reply(agent_actor, story.resolution, Status.RESOLVED)
                    if ending == "closed":
                        t.advance(24, 96)
                        status(agent_actor, Status.CLOSED)
        self._sla_state_now(thread, policy)
        return thread

    # -------------------------------------------------------------- SLA, as the services keep it

    def _sla_on_status(
        self, thread: _Thread, policy: _Policy, old: Status, new: Status, at: datetime
    ) -> None:
        """`services.sla.on_status_change`: pause while waiting, push the deadline on resume,
        and a breach when a ticket is finished late."""
        ticket = thread.ticket
        if new.value in self.pause and old.value not in self.pause and not ticket["sla_paused_at"]:
            ticket["sla_paused_at"] = at
        elif new.value not in self.pause and ticket["sla_paused_at"] is not None:
            paused = policy.calendar.minutes_between(ticket["sla_paused_at"], at)
            ticket["sla_paused_minutes"] += paused
            ticket["sla_paused_at"] = None
            budget = policy.resolution + ticket["sla_paused_minutes"]
            ticket["resolution_by"] = policy.calendar.add(ticket["created_at"], budget)
        finished = (Status.RESOLVED, Status.CLOSED)
        if new in finished and old not in finished and at > ticket["resolution_by"]:
            self._breach(thread, "resolution", ticket["resolution_by"], at)

    def _breach(self, thread: _Thread, target: str, due: datetime, at: datetime) -> None:
        if any(e["target"] == target for e in thread.sla_events):
            return  # the unique (ticket, target, kind) row: a breach is recorded once
        thread.ticket["sla_state"] = SlaState.BREACHED
        thread.sla_events.append(
            {"target": target, "kind": SlaState.BREACHED, "due_at": due, "created_at": at}
        )

    def _sla_state_now(self, thread: _Thread, policy: _Policy) -> None:
        """`services.sla.refresh_state` at the end of loading: the worst running target, and a
        breach that happened stays."""
        ticket = thread.ticket
        if ticket["sla_state"] is SlaState.BREACHED:
            return
        if ticket["status"] in (Status.RESOLVED, Status.CLOSED):
            ticket["sla_state"] = SlaState.ON_TRACK
            return
        running: list[tuple[datetime, float]] = []
        if ticket["first_response_at"] is None:
            running.append((ticket["response_by"], float(policy.response)))
        if ticket["sla_paused_at"] is None:
            running.append(
                (ticket["resolution_by"], policy.resolution + ticket["sla_paused_minutes"])
            )
        settings = self.hd.settings
        states = [
            target_state(
                policy.calendar,
                now=self.now,
                start=ticket["created_at"],
                due=due,
                budget_minutes=budget,
                at_risk_percent=settings.sla_at_risk_percent,
                at_risk_minutes=settings.sla_at_risk_minutes,
            )
            for due, budget in running
        ]
        rank = [SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED]
        ticket["sla_state"] = max(states, key=rank.index, default=SlaState.ON_TRACK)

    # -------------------------------------------------------------- writing a batch

    def _write(self, threads: list[_Thread]) -> None:
        """One transaction: tickets, then their messages, files, audit events and warnings,
        reading back the ids the database gave (in insertion order) to link them."""
        with self.hd.engine.begin() as conn:
            conn.execute(insert(Ticket), [t.ticket for t in threads])
            numbers = [t.ticket["number"] for t in threads]
            ticket_ids = dict(
                conn.execute(
                    select(Ticket.number, Ticket.id).where(
                        Ticket.number.between(numbers[0], numbers[-1])
                    )
                ).all()
            )
            messages = [
                {**m, "ticket_id": ticket_ids[t.ticket["number"]]}
                for t in threads
                for m in t.messages
            ]
            conn.execute(insert(Message), messages)
            message_ids = iter(self._ids_after(conn, Message.__table__, len(messages)))
            attachments: list[dict[str, Any]] = []
            audit: list[dict[str, Any]] = []
            sla_events: list[dict[str, Any]] = []
            for thread in threads:
                ticket_id = ticket_ids[thread.ticket["number"]]
                ids = [next(message_ids) for _ in thread.messages]
                for message_id, file, m in zip(ids, thread.files, thread.messages, strict=True):
                    if file is not None:
                        attachments.append(self._attachment(ticket_id, message_id, file, m))
                for row, index in zip(thread.audit, thread.audit_message, strict=True):
                    new = str(ids[index]) if index is not None else row["new_value"]
                    audit.append({**row, "ticket_id": ticket_id, "new_value": new})
                sla_events += [{**e, "ticket_id": ticket_id} for e in thread.sla_events]
            for table, rows in ((Attachment, attachments), (AuditEvent, audit),
                                (SlaEvent, sla_events)):  # fmt: skip
                if rows:
                    conn.execute(insert(table), rows)
            conn.execute(update(Counter).where(Counter.name == "ticket").values(value=numbers[-1]))
        self.counts["tickets"] += len(threads)
        self.counts["messages"] += sum(not m["is_internal"] for m in messages)
        self.counts["internal_notes"] += sum(m["is_internal"] for m in messages)
        self.counts["attachments"] += len(attachments)
        self.counts["audit events"] += len(audit)

    @staticmethod
    def _ids_after(conn: Connection, table: Any, count: int) -> Iterator[int]:
        """The ids of the last `count` rows inserted: nothing else writes while loading, and
        autoincrement ids grow in insertion order on all three backends."""
        found: list[int] = list(
            conn.scalars(select(table.c.id).order_by(table.c.id.desc()).limit(count))
        )
        return reversed(found)

    def _attachment(
        self, ticket_id: int, message_id: int, file: int, message: dict[str, Any]
    ) -> dict[str, Any]:
        """The metadata `store_files` writes, over a real stored file so downloads work."""
        name, content = _FILES[file]
        return {
            "ticket_id": ticket_id,
            "message_id": message_id,
            "filename": name,
            "content_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "storage_key": self.hd.storage.save(content),
            "created_at": message["created_at"],
        }


class _Timeline:
    """The clock of one thread: moves on by random steps, never past now (each step takes at
    most a third of the time left, as in `demo.py`, so late tickets get short threads)."""

    def __init__(self, start: datetime, end: datetime, rng: random.Random) -> None:
        self.at = start
        self.end = end
        self.rng = rng

    def advance(self, low_hours: float, high_hours: float) -> None:
        step = timedelta(hours=self.rng.uniform(low_hours, high_hours))
        left = self.end - self.at
        if left > timedelta(0):
            self.at += min(step, left / 3)
