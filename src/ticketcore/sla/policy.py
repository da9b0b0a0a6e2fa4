"""Which policy applies to a ticket and where each target stands: pure rules, no database.

A target (first response, resolution) is at risk once a share of its business time has passed
or few business minutes are left, and breached once its deadline has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from ..models.sla import SlaState
from ..workflow import Priority
from .calendar import BusinessCalendar

_RANK = {SlaState.ON_TRACK: 0, SlaState.AT_RISK: 1, SlaState.BREACHED: 2}

P = TypeVar("P", bound="PolicyLike")


class PolicyLike(Protocol):
    id: int
    is_default: bool
    is_active: bool
    position: int
    priority: Priority | None
    team_id: int | None
    organization_id: int | None


class TicketLike(Protocol):
    priority: Priority
    team_id: int | None
    organization_id: int | None


def matches(policy: PolicyLike, ticket: TicketLike) -> bool:
    """Every condition the policy sets equals the ticket's; an empty condition matches all."""
    return (
        (policy.priority is None or policy.priority == ticket.priority)
        and (policy.team_id is None or policy.team_id == ticket.team_id)
        and (policy.organization_id is None or policy.organization_id == ticket.organization_id)
    )


def choose_policy(policies: Iterable[P], ticket: TicketLike) -> P | None:
    """The first active matching policy by position, else the active default, else none."""
    ordered = sorted((p for p in policies if p.is_active), key=lambda p: (p.position, p.id))
    for policy in ordered:
        if not policy.is_default and matches(policy, ticket):
            return policy
    return next((p for p in ordered if p.is_default), None)


@dataclass(frozen=True)
class TargetStatus:
    target: str  # "response" or "resolution"
    state: SlaState
    due: datetime


def target_state(
    calendar: BusinessCalendar,
    *,
    now: datetime,
    start: datetime,
    due: datetime,
    budget_minutes: float,
    at_risk_percent: int,
    at_risk_minutes: int,
) -> SlaState:
    """Where one target stands at `now`. `budget_minutes` is the business time it allows."""
    if now >= due:
        return SlaState.BREACHED
    if at_risk_minutes and calendar.minutes_between(now, due) <= at_risk_minutes:
        return SlaState.AT_RISK
    if at_risk_percent and budget_minutes > 0:
        used = budget_minutes - calendar.minutes_between(now, due)
        if used * 100 >= at_risk_percent * budget_minutes:
            return SlaState.AT_RISK
    return SlaState.ON_TRACK


def worst(states: Sequence[SlaState]) -> SlaState:
    return max(states, key=_RANK.__getitem__, default=SlaState.ON_TRACK)
