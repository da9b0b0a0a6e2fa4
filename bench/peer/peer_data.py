"""ticketcore's scale data (`ticketcore.scale.load_scale_data`), written into django-helpdesk.

The comparison is only fair on the same desk, so this follows scale.py's story step by step:
N tickets created over the last two years (ending at midnight UTC today), 2,000 customers
whose addresses fall in 200 organization domains, 20 agents in 5 queues, each ticket a
thread of the demo's stories (the texts come from ticketcore through `bench/peer.py`, in the
"shape" file), the same age-dependent endings and branch odds, attachments on 5% of public
messages. The rules (endings by age, teams, names, files) come from scale.py in the same file.

What django-helpdesk has no place for is mapped to its nearest thing or left out: a ticket's
messages become follow-ups (the request itself is the "Ticket Opened" follow-up, as its forms
write it), internal notes are non-public follow-ups, and a status change that comes with a
message is that follow-up's `new_status` plus a "Status" TicketChange, as `update_ticket`
records it. Its statuses are fewer: "in progress" and "waiting on the customer" are Open,
a customer's answer to a waiting ticket makes it Reopened, and a ticket closed some days after
its resolution changes status without a follow-up (ticketcore writes no message there either),
so the follow-up counts match ticketcore's message counts. Organizations, SLA policies and
audit events have no counterpart. Customers are Django users (not staff) without a usable
password; the benchmark logs in with `force_login`.

Rows go in with `bulk_create`, 2,000 tickets (and their follow-ups) per transaction, with ids
chosen here so follow-ups need no read-back. `Ticket.created`/`modified` are `auto_now_add`/
`auto_now`, which `bulk_create` would overwrite with the time of loading, so those flags are
off while loading.
"""

from __future__ import annotations

import base64
import mimetypes
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from helpdesk.models import (
    FollowUp,
    FollowUpAttachment,
    Queue,
    Ticket,
    TicketChange,
    UserSettings,
)

DATA_VERSION = 1  # bump when the rows written here change, so cached databases are rebuilt
SEED = 1

_BATCH = 2_000
_CUSTOMERS = 2_000
_ORGANIZATIONS = 200
_AGENTS = 20
# ticketcore's priorities onto django-helpdesk's 1 (critical) .. 5 (very low)
_PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
FILES_DIR = "helpdesk/attachments/peer-scale"  # under MEDIA_ROOT

OPEN, REOPENED, RESOLVED, CLOSED = (
    Ticket.OPEN_STATUS,
    Ticket.REOPENED_STATUS,
    Ticket.RESOLVED_STATUS,
    Ticket.CLOSED_STATUS,
)
_STATUS_NAMES = {value: str(name) for value, name in Ticket.STATUS_CHOICES}


@dataclass(frozen=True)
class Story:
    """One of ticketcore's demo stories, as `bench/peer.py` exported it."""

    team: str
    subject: str
    body: str
    answer: str
    followup: str
    resolution: str
    note: str
    priority: str


@dataclass(frozen=True)
class Shape:
    """The texts, and scale.py's rules for the desk, from ticketcore (see `bench/peer.py`)."""

    stories: tuple[Story, ...]
    in_progress: str
    recent_endings: tuple[str, ...]
    days: int  # the tickets' span, ending at today's midnight
    recent: timedelta  # younger tickets end as the demo's do
    month: timedelta  # younger tickets are mostly finished; older ones nearly all
    month_endings: tuple[str, ...]
    month_weights: tuple[int, ...]
    old_endings: tuple[str, ...]
    old_weights: tuple[int, ...]
    teams: tuple[str, ...]  # the queues here
    story_teams: dict[str, str]
    staff_domain: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...]  # the few small files every attachment row points at

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Shape:
        return cls(
            stories=tuple(Story(**s) for s in data["stories"]),
            in_progress=data["in_progress"],
            recent_endings=tuple(data["recent_endings"]),
            days=data["days"],
            recent=timedelta(days=data["recent_days"]),
            month=timedelta(days=data["month_days"]),
            month_endings=tuple(data["month_endings"]),
            month_weights=tuple(data["month_weights"]),
            old_endings=tuple(data["old_endings"]),
            old_weights=tuple(data["old_weights"]),
            teams=tuple(data["teams"]),
            story_teams=dict(data["story_teams"]),
            staff_domain=data["staff_domain"],
            first_names=tuple(data["first_names"]),
            last_names=tuple(data["last_names"]),
            files=tuple((name, base64.b64decode(text)) for name, text in data["files"]),
        )


@dataclass
class Loaded:
    """What `load` wrote: row counts and the tickets by django-helpdesk status."""

    seconds: float
    counts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass
class _Person:
    id: int
    email: str
    first_name: str


@dataclass
class _Batch:
    tickets: list[Ticket] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    changes: list[TicketChange] = field(default_factory=list)
    attachments: list[FollowUpAttachment] = field(default_factory=list)


def write_files(media_root: Path, shape: Shape) -> None:
    """The shared attachment files, so a download or preview of any attachment row works."""
    folder = media_root / FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in shape.files:
        path = folder / name
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)


def load(shape: Shape, tickets: int, *, seed: int = SEED, progress: bool = True) -> Loaded:
    """Fill an empty, migrated django-helpdesk database with `tickets` ticket threads.

    The same seed and shape give the same rows on the same day (dates end at today's
    midnight UTC, as scale.py's do). Ends with ANALYZE, as ticketcore's loader does, so the
    planner has statistics as on a desk in use.
    """
    if Ticket.objects.exists():
        raise SystemExit("the peer's scale data only goes into an empty database")
    started = time.perf_counter()
    loader = _Loader(shape, random.Random(seed))
    loader.load(tickets, progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    loader.result.seconds = time.perf_counter() - started
    return loader.result


@contextmanager
def _dates_as_given(model: Any) -> Iterator[None]:
    fields = [f for f in model._meta.concrete_fields if hasattr(f, "auto_now")]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _Loader:
    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape = shape
        self.rng = rng
        # Midnight UTC today, as scale.py: loads on the same day give the same rows.
        self.now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.result = Loaded(seconds=0.0)
        self.queues: dict[str, int] = {}
        self.queue_agents: dict[str, list[_Person]] = {}
        self.customers: list[_Person] = []
        self.next_followup = 1

    # ------------------------------------------------------------------ people and queues

    def load(self, tickets: int, progress: bool) -> None:
        self._people()
        created = sorted(
            self.now - timedelta(seconds=self.rng.uniform(600, self.shape.days * 86_400))
            for _ in range(tickets)
        )
        endings = [self._ending(self.now - when) for when in created]
        started = time.perf_counter()
        with _dates_as_given(Ticket):
            for lo in range(0, tickets, _BATCH):
                batch = _Batch()
                for i in range(lo, min(lo + _BATCH, tickets)):
                    self._thread(batch, i + 1, created[i], endings[i])
                self._write(batch)
                done = lo + len(batch.tickets)
                if progress and (done == tickets or done % (10 * _BATCH) == 0):
                    rate = done / max(time.perf_counter() - started, 1e-9)
                    print(
                        f"peer data: {done:,}/{tickets:,} tickets ({rate:,.0f} tickets/s)",
                        file=sys.stderr,
                        flush=True,
                    )

    def _people(self) -> None:
        """An admin, 20 agents spread over the 5 queues, 2,000 customers in 200 domains, and
        the UserSettings row django-helpdesk's post_save signal would have made for each."""
        user_model = get_user_model()
        shape = self.shape
        firsts, lasts = shape.first_names, shape.last_names
        joined = self.now - timedelta(days=self.shape.days + 1)
        users = [
            user_model(
                id=1,
                username="admin",
                email=f"admin@{shape.staff_domain}",
                first_name="Morgan",
                last_name="Admin",
                is_staff=True,
                is_superuser=True,
                password="!",
                date_joined=joined,
            )
        ]
        with transaction.atomic():
            for name in shape.teams:
                queue = Queue.objects.create(
                    title=name,
                    slug=name.lower(),
                    email_address=f"{name.lower()}@{shape.staff_domain}",
                    allow_public_submission=True,
                )
                self.queues[name] = queue.id
                self.queue_agents[name] = []
            for i in range(_AGENTS):
                first, last = firsts[i % len(firsts)], lasts[(i * 7) % len(lasts)]
                agent = _Person(i + 2, f"agent{i + 1:02d}@{shape.staff_domain}", first)
                self.queue_agents[shape.teams[i % len(shape.teams)]].append(agent)
                users.append(
                    user_model(
                        id=agent.id,
                        username=f"agent{i + 1:02d}",
                        email=agent.email,
                        first_name=first,
                        last_name=last,
                        is_staff=True,
                        password="!",
                        date_joined=joined,
                    )
                )
            for i in range(_CUSTOMERS):
                first, last = self.rng.choice(firsts), self.rng.choice(lasts)
                domain = f"org{i % _ORGANIZATIONS + 1:03d}.example.com"
                email = f"{first.lower()}.{last.lower()}{i + 1}@{domain}"
                customer = _Person(_AGENTS + 2 + i, email, first)
                self.customers.append(customer)
                users.append(
                    user_model(
                        id=customer.id,
                        username=email,
                        email=email,
                        first_name=first,
                        last_name=last,
                        password="!",  # unusable: customers never log in with a password here
                        date_joined=joined,
                    )
                )
            user_model.objects.bulk_create(users)
            UserSettings.objects.bulk_create(UserSettings(user_id=u.id) for u in users)
        self.result.counts["users"] = len(users)
        self.result.counts["queues"] = len(shape.teams)

    def _ending(self, age: timedelta) -> str:
        """scale.py's `_ending`: the demo's mix for the last days, then mostly finished."""
        if age < self.shape.recent:
            return self.shape.recent_endings[self.rng.randrange(len(self.shape.recent_endings))]
        if age < self.shape.month:
            return self.rng.choices(self.shape.month_endings, self.shape.month_weights)[0]
        return self.rng.choices(self.shape.old_endings, self.shape.old_weights)[0]

    # ------------------------------------------------------------------ one ticket

    def _thread(self, batch: _Batch, ticket_id: int, created: datetime, ending: str) -> None:
        rng = self.rng
        story = rng.choice(self.shape.stories)
        customer = rng.choice(self.customers)
        queue = self.shape.story_teams.get(story.team, self.shape.teams[0])
        if rng.random() < 0.3:
            queue = rng.choice(self.shape.teams)
        agent = rng.choice(self.queue_agents[queue])
        names = {"customer": customer.first_name, "agent": agent.first_name}
        at = _Clock(created, self.now, rng)
        ticket = Ticket(
            id=ticket_id,
            title=story.subject,
            queue_id=self.queues[queue],
            created=created,
            modified=created,
            submitter_email=customer.email,
            assigned_to_id=agent.id,
            status=OPEN,
            description=story.body.format(**names),
            priority=_PRIORITY[story.priority],
            secret_key=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        )
        batch.tickets.append(ticket)

        def followup(author: _Person, text: str, *, public: bool = True,
                     status: int | None = None, title: str | None = None) -> None:  # fmt: skip
            comment = text.format(**names)
            row = FollowUp(
                id=self.next_followup,
                ticket_id=ticket_id,
                date=at.now,
                title=title or story.subject,
                comment=comment,
                public=public,
                user_id=author.id,
            )
            self.next_followup += 1
            if status is not None and status != ticket.status:
                old, ticket.status = ticket.status, status
                row.new_status = status
                row.title = f"{row.title} and {_STATUS_NAMES[status]}"
                batch.changes.append(
                    TicketChange(
                        followup_id=row.id,
                        field="Status",
                        old_value=_STATUS_NAMES[old],
                        new_value=_STATUS_NAMES[status],
                    )
                )
                if status == RESOLVED:
                    ticket.resolution = comment
            ticket.modified = at.now
            batch.followups.append(row)
            self.result.counts["public follow-ups" if public else "internal follow-ups"] += 1
            if public and rng.random() < 0.05:
                name, content = self.shape.files[rng.randrange(len(self.shape.files))]
                batch.attachments.append(
                    FollowUpAttachment(
                        followup_id=row.id,
                        file=f"{FILES_DIR}/{name}",
                        filename=name,
                        mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                        size=len(content),
                    )
                )

        def note() -> None:
            followup(agent, story.note, public=False)

        def close() -> None:
            ticket.status = CLOSED
            ticket.modified = at.now

        followup(customer, story.body, title="Ticket Opened")
        at.advance(0.3, 8)
        if ending == "open":
            if rng.random() < 0.4:
                note()
        elif ending == "in_progress":
            note()
            at.advance(0.2, 3)
            followup(agent, self.shape.in_progress)  # no "in progress" status: stays Open
        else:
            at_once = ending in ("resolved", "closed") and rng.random() < 0.5
            # Waiting on the customer has no status of its own either: stays Open.
            followup(agent, story.answer, status=RESOLVED if at_once else None)
            if rng.random() < 0.35:
                at.advance(0.1, 1)
                note()
            if at_once:
                if ending == "closed":
                    at.advance(24, 96)
                    close()
            elif ending != "pending":
                at.advance(1, 30)
                followup(customer, story.followup, status=REOPENED)
                if ending != "customer_replied":
                    at.advance(0.5, 12)
                    followup(agent, story.resolution, status=RESOLVED)
                    if ending == "closed":
                        at.advance(24, 96)
                        close()
        self.result.statuses[_STATUS_NAMES[ticket.status]] += 1

    def _write(self, batch: _Batch) -> None:
        with transaction.atomic():
            Ticket.objects.bulk_create(batch.tickets)
            FollowUp.objects.bulk_create(batch.followups)
            TicketChange.objects.bulk_create(batch.changes)
            FollowUpAttachment.objects.bulk_create(batch.attachments)
        self.result.counts["tickets"] += len(batch.tickets)
        self.result.counts["ticket changes"] += len(batch.changes)
        self.result.counts["attachments"] += len(batch.attachments)


class _Clock:
    """One thread's time, as scale.py's `_Timeline`: random steps, each at most a third of
    the time left before now, so late tickets get short threads and nothing is in the future."""

    def __init__(self, start: datetime, end: datetime, rng: random.Random) -> None:
        self.now = start
        self.end = end
        self.rng = rng

    def advance(self, low_hours: float, high_hours: float) -> None:
        step = timedelta(hours=self.rng.uniform(low_hours, high_hours))
        left = self.end - self.now
        if left > timedelta(0):
            self.now += min(step, left / 3)
