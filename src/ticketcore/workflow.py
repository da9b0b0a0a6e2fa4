"""Statuses, priorities and the transitions between statuses: pure rules, no database.

Customers see statuses in three groups (active, waiting on you, closed); agents see all five.
"""

from __future__ import annotations

import enum

from .errors import InvalidTransition


class Status(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"  # waiting on the customer
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def group(self) -> StatusGroup:
        return STATUS_GROUPS[self]


class StatusGroup(enum.StrEnum):
    """How a customer reads a status: is it with us, with them, or finished?"""

    ACTIVE = "active"
    WAITING_ON_YOU = "waiting_on_you"
    CLOSED = "closed"

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(s for s, g in STATUS_GROUPS.items() if g is self)


class Priority(enum.IntEnum):
    """Ranks, so sorting by priority is sorting by number."""

    LOW = 10
    NORMAL = 20
    HIGH = 30
    URGENT = 40

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: str | int | Priority) -> Priority:
        """Accept a `Priority`, its rank, or its name in any case ("urgent")."""
        if isinstance(value, str) and not value.isdigit():
            return cls[value.strip().upper()]
        return cls(int(value))


class TicketKind(enum.StrEnum):
    TICKET = "ticket"
    CONVERSATION = "conversation"  # a thread that staff started with a customer


class ReplyOnClosed(enum.StrEnum):
    REOPEN = "reopen"
    REFUSE = "refuse"
    ALLOW = "allow"


STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In Progress",
    Status.PENDING: "Pending",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}

STATUS_GROUPS = {
    Status.OPEN: StatusGroup.ACTIVE,
    Status.IN_PROGRESS: StatusGroup.ACTIVE,
    Status.PENDING: StatusGroup.WAITING_ON_YOU,
    Status.RESOLVED: StatusGroup.CLOSED,
    Status.CLOSED: StatusGroup.CLOSED,
}

FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})

# Which status may follow which. Closed is final except for reopening to Open.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}

# Customers only ever finish their own tickets; reopening happens by replying.
CUSTOMER_TARGETS = frozenset({Status.RESOLVED, Status.CLOSED})


def check_transition(current: Status, target: Status) -> None:
    """Raise `InvalidTransition` unless `current -> target` is allowed."""
    if current == target:
        raise InvalidTransition(f"The ticket is already {current.label}.")
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A ticket cannot go from {current.label} to {target.label}."
            + (" Reopen it first." if current == Status.CLOSED else "")
        )


def status_after_customer_reply(current: Status, policy: ReplyOnClosed) -> Status:
    """The status a customer's reply leaves; raises when the site refuses replies on closed tickets.

    Waiting on the customer ends when they answer; a finished ticket reopens, stays, or refuses
    the reply according to `policy`.
    """
    if current == Status.PENDING:
        return Status.OPEN
    if current in FINISHED:
        if policy == ReplyOnClosed.REFUSE:
            raise InvalidTransition(
                f"This ticket is {current.label.lower()} and no longer takes replies. "
                "Please open a new ticket."
            )
        if policy == ReplyOnClosed.REOPEN:
            return Status.OPEN
    return current
