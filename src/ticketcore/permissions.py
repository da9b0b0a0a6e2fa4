"""Who may see and do what — expressed as SQL so a list can never show more than a detail page.

Every ticket read goes through `ticket_visibility(actor, …)` (DESIGN invariant 2); an invisible
ticket is reported as missing. Plugins extend the policy through the `ticket_access` hook (extra
allow/deny clauses) and `permission_for_ticket` (a yes/no on one action).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true, union
from sqlalchemy.orm import aliased

from .models import (
    ArticleStatus,
    Audience,
    KbArticle,
    Message,
    OrganizationStaff,
    TeamMember,
    Ticket,
    TicketCC,
)
from .settings import Settings


class ActorKind(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"
    GUEST = "guest"  # holds the secret link of one ticket
    SYSTEM = "system"  # jobs, the CLI, host code acting with full rights
    ANONYMOUS = "anonymous"  # nobody logged in: may read public tickets only


class Action(enum.StrEnum):
    """What an actor does to a ticket they can see. Seeing itself is decided by the visibility
    query alone (and the `ticket_access` hook), so lists and detail pages always agree."""

    REPLY = "reply"  # add a message the customer sees
    NOTE = "note"  # add an internal note
    UPDATE = "update"  # status, priority, team, assignee, custom fields
    FINISH = "finish"  # a customer closing or resolving their ticket
    MANAGE_CC = "manage_cc"
    SET_PUBLIC = "set_public"


@dataclass(frozen=True)
class Actor:
    """Whoever performs a use case. Build one with `helpdesk.users.actor_for(...)` or the
    class methods here; services never trust anything else about the caller."""

    kind: ActorKind
    user_id: int | None = None
    organization_id: int | None = None
    email_key: str | None = None
    ticket_id: int | None = None  # guests only

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ActorKind.ANONYMOUS)

    @property
    def is_staff(self) -> bool:
        return self.kind in (ActorKind.AGENT, ActorKind.ADMIN, ActorKind.SYSTEM)

    @property
    def is_customer_side(self) -> bool:
        return self.kind in (ActorKind.CUSTOMER, ActorKind.GUEST, ActorKind.ANONYMOUS)


@dataclass(frozen=True)
class Access:
    """A plugin's contribution to ticket visibility: SQL conditions on `Ticket`.

    `allow` widens what the actor sees; `deny` removes tickets even the default policy allows.
    """

    allow: ColumnElement[bool] | None = None
    deny: ColumnElement[bool] | None = None
    name: str = field(default="", compare=False)


# Not the outer query's table, which SQLAlchemy would correlate; made once, since making an
# alias costs more than the query it is in.
_ASKED = aliased(Ticket, name="asked")


def own_ticket(actor: Actor) -> ColumnElement[bool]:
    """Tickets a customer asked for, or on which they are copied.

    One list of ids from two indexes (their tickets, their CC rows) rather than `requester = ?
    OR id IN (…)`: without statistics SQLite answers such an OR by walking the tickets table,
    which at 100,000 tickets turned a customer's list from a millisecond into twenty.
    """
    if actor.user_id is None:
        return false()
    if not actor.email_key:
        return Ticket.requester_id == actor.user_id
    return Ticket.id.in_(
        union(
            select(_ASKED.id).where(_ASKED.requester_id == actor.user_id),
            select(TicketCC.ticket_id).where(TicketCC.email_key == actor.email_key),
        )
    )


def organization_ticket(actor: Actor, settings: Settings) -> ColumnElement[bool]:
    if settings.organization_visibility == "none" or actor.organization_id is None:
        return false()
    return Ticket.organization_id == actor.organization_id


def _agent_scope(actor: Actor, settings: Settings) -> ColumnElement[bool]:
    if settings.agents_see_all_tickets:
        return true()
    my_teams = select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id)
    my_orgs = select(OrganizationStaff.organization_id).where(
        OrganizationStaff.user_id == actor.user_id
    )
    return or_(
        Ticket.team_id.in_(my_teams),
        Ticket.assignee_id == actor.user_id,
        Ticket.organization_id.in_(my_orgs),
    )


def base_visibility(actor: Actor, settings: Settings) -> ColumnElement[bool]:
    """The built-in policy, before plugins."""
    public = Ticket.is_public.is_(True) if settings.public_tickets else false()
    match actor.kind:
        case ActorKind.SYSTEM | ActorKind.ADMIN:
            return true()
        case ActorKind.AGENT:
            return or_(_agent_scope(actor, settings), public)
        case ActorKind.CUSTOMER:
            return or_(own_ticket(actor), organization_ticket(actor, settings), public)
        case ActorKind.GUEST:
            return Ticket.id == actor.ticket_id
        case ActorKind.ANONYMOUS:
            return public
    raise AssertionError(actor.kind)  # pragma: no cover


def ticket_visibility(
    actor: Actor, settings: Settings, extra: list[Access] | tuple[Access, ...] = ()
) -> ColumnElement[bool]:
    """The WHERE clause of every ticket query for `actor`: built-in policy, plugin allows, denies."""
    clause = or_(base_visibility(actor, settings), *(a.allow for a in extra if a.allow is not None))
    denies = [a.deny for a in extra if a.deny is not None]
    return and_(clause, not_(or_(*denies))) if denies else clause


def message_visibility(actor: Actor) -> ColumnElement[bool]:
    """Internal notes exist only for staff."""
    return true() if actor.is_staff else Message.is_internal.is_(False)


def article_visibility(actor: Actor) -> ColumnElement[bool]:
    """The knowledge-base articles `actor` may read: staff every one, drafts and archived ones
    included; logged-in customers the published ones; anyone else (nobody logged in, a guest
    with a ticket link) the published public ones. Any other article does not exist for them."""
    if actor.is_staff:
        return true()
    published = KbArticle.status == ArticleStatus.PUBLISHED
    if actor.kind is ActorKind.CUSTOMER:
        return published
    return and_(published, KbArticle.audience == Audience.PUBLIC)


def may_write_articles(actor: Actor) -> bool:
    """Agents and admins (and the system) write the knowledge base; customers only read it."""
    return actor.kind in (ActorKind.AGENT, ActorKind.ADMIN, ActorKind.SYSTEM)


def may(actor: Actor, ticket: Ticket, action: Action, settings: Settings) -> bool:
    """The built-in answer for an action on a ticket the actor can already see."""
    if actor.kind in (ActorKind.SYSTEM, ActorKind.ADMIN, ActorKind.AGENT):
        return True
    if actor.kind is ActorKind.ANONYMOUS:
        return False
    if actor.kind is ActorKind.GUEST:
        return action in (Action.REPLY, Action.FINISH)
    is_requester = ticket.requester_id == actor.user_id
    is_cc = bool(actor.email_key) and any(cc.email_key == actor.email_key for cc in ticket.cc)
    in_org = actor.organization_id is not None and ticket.organization_id == actor.organization_id
    match action:
        case Action.REPLY:
            return (
                is_requester
                or is_cc
                or (in_org and settings.organization_visibility == "view_and_reply")
            )
        case Action.FINISH | Action.MANAGE_CC | Action.SET_PUBLIC:
            return is_requester
        case Action.NOTE | Action.UPDATE:
            return False
    raise AssertionError(action)  # pragma: no cover
