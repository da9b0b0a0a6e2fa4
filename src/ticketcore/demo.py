"""Demo data: a small, believable support desk to click through, show, and test the portals with.

It is built through the public services, never by writing rows, so every demo ticket went
through the same workflow, assignment and permission rules as a real one and stays valid
whatever the schema becomes. Time is faked while loading (DESIGN invariant 4), so the tickets
spread over the last month instead of all being born in the same second.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from tqdm import tqdm

from .clock import FakeClock
from .demo_kb import load_demo_articles
from .demo_stories import CONVERSATIONS, IN_PROGRESS, STORIES, Story
from .errors import Conflict
from .helpdesk import Helpdesk
from .permissions import Actor
from .schemas import TemplateOut, UploadedFile, UserOut

__all__ = ["DEMO_PASSWORD", "DemoLogin", "DemoSummary", "load_demo_data"]

DEMO_PASSWORD = "demo-password"

US_FEDERAL_HOLIDAYS = [  # as observed (a Saturday holiday on the Friday before, Sunday after)
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
    "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
    "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05",
    "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24",
]  # fmt: skip
US_EASTERN = {
    "timezone": "America/New_York",
    "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": US_FEDERAL_HOLIDAYS,
}
_DAYS = 30

Ending = Literal["open", "in_progress", "pending", "customer_replied", "resolved", "closed"]
# Cycled over the tickets (then shuffled), so every status appears whatever the seed and the
# mix stays roughly that of a working desk: most tickets finished, a fair number still moving.
ENDINGS: tuple[Ending, ...] = (
    "resolved", "open", "pending", "closed", "in_progress", "customer_replied",
    "closed", "resolved", "pending", "closed",
)  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    email: str
    display_name: str
    role: str
    organization: str | None
    password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo_data` created: who can log in, and how many of each thing exist."""

    logins: tuple[DemoLogin, ...]
    counts: dict[str, int]  # users, organizations, teams, templates, tickets, messages, …
    tickets_by_status: dict[str, int]
    tickets_by_template: dict[str, int]  # "(none)" for tickets without a template
    conversations: int


# ------------------------------------------------------------------ the cast

_STAFF_DOMAIN = "support.example.com"
_ADMIN = ("admin", "Morgan Reyes")
_AGENTS = {  # team slug → agents (email local part, name); the first team is the default one
    "support": [("alice", "Alice Moreau"), ("sam", "Sam Okafor")],
    "billing": [("bianca", "Bianca Rossi")],
    "sales": [("oscar", "Oscar Lindqvist")],
}
_TEAM_NAMES = {"support": "Support", "billing": "Billing", "sales": "Sales"}
_ORGANIZATIONS = [
    # name, domain, assigned staff (local parts): their tickets go to that agent first
    ("Acme Corporation", "acme.example.com", ["alice"]),
    ("Globex", "globex.example.com", []),
]
_CUSTOMERS = [
    ("carla", "acme.example.com", "Carla Jensen"),
    ("ravi", "acme.example.com", "Ravi Patel"),
    ("tom", "acme.example.com", "Tom Becker"),
    ("hank", "globex.example.com", "Hank Scorpio"),
    ("lena", "globex.example.com", "Lena Park"),
    ("priya", "mail.example.org", "Priya Shah"),  # no organization
    ("jonas", "home.example.org", "Jonas Weber"),  # no organization
]

_TEMPLATES: dict[str, dict[str, Any]] = {  # key used by the stories → TemplateCreate fields
    "bug": {
        "name": "Bug Report",
        "description": "Something does not work as it should.",
        "fields": [
            {"key": "steps", "label": "Steps to reproduce", "type": "long_text", "required": True,
             "help_text": "What did you click, in which order?"},
            {"key": "expected", "label": "Expected result", "type": "long_text"},
            {"key": "actual", "label": "Actual result", "type": "long_text"},
            {"key": "browser", "label": "Browser", "type": "select",
             "options": ["Chrome", "Firefox", "Safari", "Edge", "Other"]},
        ],
    },
    "feature": {
        "name": "Feature Request",
        "description": "Something you would like the product to do.",
        "fields": [
            {"key": "problem", "label": "What problem would this solve?", "type": "long_text"},
            {"key": "solution", "label": "Proposed solution", "type": "long_text"},
            {"key": "importance", "label": "Importance", "type": "select",
             "options": ["Nice to have", "Important", "Critical"]},
        ],
    },
    "question": {"name": "General Question", "description": "Anything else.", "fields": []},
}  # fmt: skip


@dataclass
class _Plan:
    story: Story
    customer: str  # email
    ending: Ending
    conversation: bool = False
    cc: bool = False
    attach: bool = False


# ------------------------------------------------------------------ loading


def load_demo_data(
    helpdesk: Helpdesk, *, tickets: int = 50, seed: int = 1, progress: bool | None = None
) -> DemoSummary:
    """Fill an empty helpdesk with staff, customers, templates and `tickets` ticket threads.

    The same `seed` gives the same data. Raises `Conflict` if the helpdesk already has tickets
    or demo accounts. `progress`: show a progress bar on stderr (None: only on a terminal).
    While loading, `helpdesk.clock` is a fake clock walking through the last 30 days; do not
    serve requests from the same helpdesk meanwhile.
    """
    if tickets < 0:
        raise ValueError("tickets must be zero or more")
    return _Loader(helpdesk, random.Random(seed)).load(tickets, progress)


class _Loader:
    def __init__(self, helpdesk: Helpdesk, rng: random.Random) -> None:
        self.hd = helpdesk
        self.rng = rng
        self.system = Actor.system()
        self.actors: dict[int, Actor] = {}
        self.users: dict[str, UserOut] = {}  # by email
        self.by_id: dict[int, UserOut] = {}
        self.team_ids: dict[str, int] = {}
        self.team_agents: dict[str, list[str]] = {}
        self.templates: dict[str, TemplateOut] = {}
        self.counts: Counter[str] = Counter()
        self.end = helpdesk.clock.now()
        self.clock = FakeClock(self.end - timedelta(days=_DAYS))

    # -------------------------------------------------------------- top level

    def load(self, tickets: int, progress: bool | None) -> DemoSummary:
        self._refuse_if_not_empty()
        original = self.hd.clock
        self.hd.clock = self.clock
        # Demo people have made-up addresses: nobody is emailed about demo tickets.
        muted, self.hd.mute_notifications = self.hd.mute_notifications, True
        try:
            logins = self._create_cast()
            admin = self._actor(f"{_ADMIN[0]}@{_STAFF_DOMAIN}")
            self.counts["kb_articles"] = load_demo_articles(self.hd, admin)
            plans = self._plan(tickets)
            times = sorted(
                self.clock.now() + timedelta(hours=self.rng.uniform(2, _DAYS * 24 - 12))
                for _ in plans
            )
            with tqdm(
                total=len(plans),
                desc="Demo tickets",
                unit="ticket",
                file=sys.stderr,
                disable=None if progress is None else not progress,
                leave=False,
            ) as bar:
                for plan, when in zip(plans, times, strict=True):
                    self.clock.set(when)
                    self._ticket(plan)
                    bar.update()
            self.hd.clock = original
            self.hd.sla.check()  # today's SLA states: what is on track, at risk, breached
        finally:
            self.hd.clock = original
            self.hd.mute_notifications = muted
        counts = self.hd.tickets.counts(self.system)
        by_template = Counter(
            _TEMPLATES[p.story.template]["name"] if p.story.template else "(none)" for p in plans
        )
        self.counts["tickets"] = counts.total
        return DemoSummary(
            logins=tuple(logins),
            counts=dict(self.counts),
            tickets_by_status={s.value: n for s, n in counts.by_status.items()},
            tickets_by_template=dict(sorted(by_template.items())),
            conversations=sum(p.conversation for p in plans),
        )

    def _refuse_if_not_empty(self) -> None:
        existing = self.hd.tickets.counts(self.system).total
        if existing:
            raise Conflict(
                f"the database already has {existing} ticket(s); demo data only goes into an "
                "empty helpdesk"
            )
        emails = [f"{local}@{_STAFF_DOMAIN}" for local, _ in self._staff()]
        emails += [f"{local}@{domain}" for local, domain, _ in _CUSTOMERS]
        taken = [e for e in emails if self.hd.users.find_by_email(e) is not None]
        if taken:
            raise Conflict(f"demo accounts already exist ({', '.join(taken)})")
        domains = {d for org in self.hd.organizations.list() for d in org.domains}
        clash = sorted(domains & {domain for _, domain, _ in _ORGANIZATIONS})
        if clash:
            raise Conflict(f"an organization already uses {', '.join(clash)}")
        # A second "Support" would get the slug support-2 and take over as the default team.
        teams = sorted({t.name for t in self.hd.teams.list()} & set(_TEAM_NAMES.values()))
        if teams:
            raise Conflict(f"the helpdesk already has a team named {', '.join(teams)}")

    @staticmethod
    def _staff() -> list[tuple[str, str]]:
        return [_ADMIN, *(agent for agents in _AGENTS.values() for agent in agents)]

    # -------------------------------------------------------------- people and setup

    def _create_sla(self) -> None:
        """The seed example: support answers within 15 minutes at any hour; billing and sales
        within 15 minutes, 9 a.m. to 5 p.m. Eastern, Monday to Friday, except US holidays."""
        self.hd.sla.create_calendar(self.system, name="US Eastern office", definition=US_EASTERN)
        for name, team, calendar, resolution in [
            ("Support around the clock", "support", None, 24 * 60),
            ("Billing office hours", "billing", "us-eastern-office", 2 * 8 * 60),
            ("Sales office hours", "sales", "us-eastern-office", 2 * 8 * 60),
        ]:
            self.hd.sla.create_policy(
                self.system,
                name=name,
                team=team,
                calendar=calendar,
                first_response_minutes=15,
                resolution_minutes=resolution,
            )
        self.hd.sla.create_policy(
            self.system,
            name="Standard",
            is_default=True,
            first_response_minutes=4 * 60,
            resolution_minutes=3 * 24 * 60,
        )
        self.counts["sla policies"] = 4

    def _create_cast(self) -> list[DemoLogin]:
        logins: list[DemoLogin] = []
        admin = self._user(_ADMIN, _STAFF_DOMAIN, role="admin")
        logins.append(DemoLogin(admin.email, admin.display_name, "admin", None))
        for team, agents in _AGENTS.items():
            self.team_agents[team] = []
            for agent in agents:
                user = self._user(agent, _STAFF_DOMAIN, role="agent")
                self.team_agents[team].append(user.email)
                logins.append(DemoLogin(user.email, user.display_name, "agent", None))
        for slug, members in self.team_agents.items():
            created = self.hd.teams.create(
                self.system, name=_TEAM_NAMES[slug], is_default=slug == "support", members=members
            )
            self.team_ids[slug] = created.id
            self.counts["teams"] += 1
        self._create_sla()
        org_names: dict[str, str] = {}
        for name, domain, staff in _ORGANIZATIONS:
            self.hd.organizations.create(
                self.system,
                name=name,
                domains=[domain],
                staff=[f"{local}@{_STAFF_DOMAIN}" for local in staff],
            )
            org_names[domain] = name
            self.counts["organizations"] += 1
        for local, domain, name in _CUSTOMERS:
            # No organization named: the service files each customer by their email domain.
            user = self._user((local, name), domain, role="customer")
            logins.append(DemoLogin(user.email, name, "customer", org_names.get(domain)))
        for key, spec in _TEMPLATES.items():
            self.templates[key] = self.hd.templates.create(self.system, **spec)
            self.counts["templates"] += 1
        return logins

    def _user(self, person: tuple[str, str], domain: str, *, role: str) -> UserOut:
        local, name = person
        user = self.hd.users.create(
            self.system,
            email=f"{local}@{domain}",
            display_name=name,
            role=role,
            password=DEMO_PASSWORD,  # hashed once, here; argon2 is deliberately slow
        )
        self.users[user.email] = user
        self.by_id[user.id] = user
        self.counts["users"] += 1
        self._advance(0.05, 0.5)
        return user

    def _actor(self, email: str) -> Actor:
        user_id = self.users[email].id
        if user_id not in self.actors:
            self.actors[user_id] = self.hd.users.actor_for(user_id)
        return self.actors[user_id]

    # -------------------------------------------------------------- the plan

    def _plan(self, count: int) -> list[_Plan]:
        rng = self.rng
        customers = [f"{local}@{domain}" for local, domain, _ in _CUSTOMERS]
        endings = [ENDINGS[i % len(ENDINGS)] for i in range(count)]
        rng.shuffle(endings)
        by_template = {k: next(s for s in STORIES if s.template == k) for k in _TEMPLATES}
        with_files = [s for s in STORIES if s.attachment]
        # What the demo must show even when it is small: one ticket per template with its
        # fields filled, conversations started by staff, attachments, and a copied colleague.
        must: list[_Plan] = [
            _Plan(by_template["bug"], customers[0], "open"),
            _Plan(by_template["feature"], customers[3], "open"),
            _Plan(by_template["question"], customers[5], "open"),
            _Plan(CONVERSATIONS[0], customers[1], "open", conversation=True),
            _Plan(with_files[0], customers[4], "open", attach=True),
            _Plan(rng.choice(STORIES), customers[2], "open", cc=True),
            _Plan(CONVERSATIONS[1], customers[3], "open", conversation=True),
            _Plan(with_files[1], customers[6], "open", attach=True),
            _Plan(CONVERSATIONS[2], customers[4], "open", conversation=True),
        ]
        plans = must[:count]
        while len(plans) < count:
            plans.append(
                _Plan(rng.choice(STORIES), rng.choice(customers), "open", cc=rng.random() < 0.15)
            )
        rng.shuffle(plans)
        for plan, ending in zip(plans, endings, strict=True):
            plan.ending = ending
        return plans

    # -------------------------------------------------------------- one ticket

    def _advance(self, low_hours: float, high_hours: float) -> None:
        """Move the clock on, never past the real now: each step takes at most a third of the
        time left, so late tickets get short threads instead of piling up at the end."""
        step = timedelta(hours=self.rng.uniform(low_hours, high_hours))
        left = self.end - self.clock.now()
        if left > timedelta(0):
            self.clock.advance(min(step, left / 3))

    def _ticket(self, plan: _Plan) -> None:
        story = plan.story
        customer = self.users[plan.customer]
        fields: dict[str, Any] = {}
        if story.template:
            fields["template"] = self.templates[story.template].id
            fields["custom_fields"] = story.fields
        if plan.cc:
            fields["cc"] = [self._colleague(customer.email)]
        if plan.attach and story.attachment:
            name, content = story.attachment
            fields["attachments"] = [UploadedFile(filename=name, content=content)]
        team_id = self.team_ids[story.team]
        agent: str | None = None  # the agent who carries the thread on
        if plan.conversation:
            agent = self.rng.choice(self.team_agents[story.team])
            agent_name = self.users[agent].display_name
            created = self.hd.tickets.create(
                self._actor(agent),
                subject=story.subject,
                body=self._text(story.body, customer, agent_name),
                requester=customer.id,
                kind="conversation",
                team=team_id,
                priority=story.priority,
                **fields,
            )
        else:
            chooses = self.hd.settings
            if chooses.customer_can_choose_team:
                fields["team"] = team_id
            if chooses.customer_can_choose_priority:
                fields["priority"] = story.priority
            created = self.hd.tickets.create(
                self._actor(customer.email), subject=story.subject, body=story.body, **fields
            )
        self.counts["messages"] += 1
        self.counts["attachments"] += len(fields.get("attachments", ()))
        self.counts["cc"] += len(fields.get("cc", ()))
        ticket = created.ticket
        if ticket.team_id != team_id or ticket.priority.name.lower() != story.priority:
            # The site does not let customers choose: an admin triages, as on a real desk.
            self._advance(0.1, 2)
            admin = self._actor(f"{_ADMIN[0]}@{_STAFF_DOMAIN}")
            ticket = self.hd.tickets.update(admin, ticket.id, team=team_id, priority=story.priority)
        if agent is None and ticket.assignee is not None and ticket.assignee.id in self.by_id:
            agent = self.by_id[ticket.assignee.id].email
        if agent is None:  # unassigned (assignment "none"), or a plugin chose a non-demo agent
            agent = self.rng.choice(self.team_agents[story.team])
        if plan.conversation:
            self._conversation_thread(ticket.id, plan, customer, agent)
        else:
            self._ticket_thread(ticket.id, plan, customer, agent)

    def _colleague(self, email: str) -> str:
        domain = email.partition("@")[2]
        peers = sorted(e for e in self.users if e.endswith("@" + domain) and e != email)
        return self.rng.choice(peers) if peers else f"office@{domain}"

    @staticmethod
    def _text(template: str, customer: UserOut, agent_name: str) -> str:
        return template.format(
            customer=customer.display_name.split()[0], agent=agent_name.split()[0]
        )

    def _ticket_thread(self, ticket_id: int, plan: _Plan, customer: UserOut, agent: str) -> None:
        story, ending = plan.story, plan.ending
        agent_actor = self._actor(agent)
        customer_actor = self._actor(customer.email)
        agent_name = self.users[agent].display_name

        def say(text: str, status: str | None = None) -> None:
            self.hd.messages.reply(
                agent_actor, ticket_id, body=self._text(text, customer, agent_name), status=status
            )
            self.counts["messages"] += 1

        def note() -> None:
            self.hd.messages.add_note(agent_actor, ticket_id, story.note)
            self.counts["internal_notes"] += 1

        self._advance(0.3, 8)
        if ending == "open":
            if self.rng.random() < 0.4:
                note()
            return
        if ending == "in_progress":
            note()
            self._advance(0.2, 3)
            say(IN_PROGRESS, status="in_progress")
            return
        say(story.answer, status="pending")
        if self.rng.random() < 0.35:
            self._advance(0.1, 1)
            note()
        if ending == "pending":
            return
        self._advance(1, 30)
        self.hd.messages.reply(customer_actor, ticket_id, body=story.followup)  # back to Open
        self.counts["messages"] += 1
        if ending == "customer_replied":
            return
        self._advance(0.5, 12)
        say(story.resolution, status="resolved")
        if ending == "closed":
            self._advance(24, 96)
            self.hd.tickets.close(agent_actor, ticket_id)

    def _conversation_thread(
        self, ticket_id: int, plan: _Plan, customer: UserOut, agent: str
    ) -> None:
        story, ending = plan.story, plan.ending
        agent_actor = self._actor(agent)
        self._advance(0.1, 2)
        if ending == "open":
            return
        if ending in ("in_progress", "pending"):
            # Staff started it, so the next move is the customer's.
            self.hd.tickets.update(agent_actor, ticket_id, status="pending")
            return
        self.hd.tickets.update(agent_actor, ticket_id, status="pending")
        self.hd.messages.add_note(agent_actor, ticket_id, story.note)
        self.counts["internal_notes"] += 1
        self._advance(2, 48)
        self.hd.messages.reply(self._actor(customer.email), ticket_id, body=story.followup)
        self.counts["messages"] += 1
        if ending == "customer_replied":
            return
        self._advance(0.5, 8)
        agent_name = self.users[agent].display_name
        self.hd.messages.reply(
            agent_actor,
            ticket_id,
            body=self._text(story.resolution, customer, agent_name),
            status="resolved",
        )
        self.counts["messages"] += 1
        if ending == "closed":
            self._advance(24, 96)
            self.hd.tickets.close(agent_actor, ticket_id)
