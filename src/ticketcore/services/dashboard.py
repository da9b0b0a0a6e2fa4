"""The agent dashboard's figures, each one query whatever the size of the desk.

The counts come from three aggregate statements over the agent's visible tickets and each
panel's first tickets from one more, so the dashboard costs the same SQL on a desk of ten
tickets or of a million. Each aggregate reads only the tickets it counts, found by an index:
the unfinished ones (a desk's backlog, a few in a hundred), those created this week, and those
resolved today; never the years of finished tickets, which is why the status breakdown shows
the work still open and not all-time totals of resolved and closed tickets.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true

from ..db import seconds_between, seldom
from ..errors import PermissionDenied
from ..models import ReplySide, Ticket
from ..permissions import Actor
from ..schemas import DashboardOut, DashboardQueue, TicketQuery
from ..workflow import Status, StatusGroup
from . import listing
from .base import Service

# The desk's days ("today", "this week") are UTC days: settings name no time zone of the desk.
DESK_ZONE = UTC

PANEL_SIZE = 10

Panel = tuple[TicketQuery, tuple[ColumnElement[bool], ...]]


def _panel(*also: ColumnElement[bool], **query: Any) -> Panel:
    """A panel: active tickets narrowed by a ticket query (which also orders them) and by
    conditions a query cannot express."""
    base = {"status_group": StatusGroup.ACTIVE, "per_page": PANEL_SIZE, "descending": False}
    return TicketQuery.model_validate({**base, **query}), also


def _panels() -> dict[str, Panel]:
    return {
        # Waiting for us (new tickets and customer replies), the longest-waiting first.
        "pending": _panel(Ticket.last_reply_by == ReplySide.CUSTOMER, sort="last_reply"),
        "mine": _panel(assignee="me", sort="updated", descending=True),
        "unassigned_in_my_teams": _panel(scope="my_teams", assignee="none", sort="created"),
        "at_risk": _panel(sla_state=["at_risk"], sort="due"),
        "breached": _panel(sla_state=["breached"], sort="due"),
    }


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows match: SUM(CASE …), which every backend has (FILTER is not on MariaDB)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class DashboardService(Service):
    def for_agent(self, actor: Actor) -> DashboardOut:
        """What needs a staff member's attention among the tickets they may see: eight SQL
        statements, whatever the number of tickets."""
        if not actor.is_staff:
            raise PermissionDenied("the dashboard is for staff")
        visibility = self.helpdesk.tickets.visibility(actor)
        panels = _panels()
        conditions = {
            name: and_(*listing.filters(actor, self.settings, true(), query), *extra)
            for name, (query, extra) in panels.items()
        }
        day = self.helpdesk.clock.now().astimezone(DESK_ZONE).date()
        today = datetime.combine(day, time.min, tzinfo=DESK_ZONE)
        tomorrow = datetime.combine(day + timedelta(days=1), time.min, tzinfo=DESK_ZONE)
        monday = datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=DESK_ZONE)
        unfinished = [status for status in Status if status.group is not StatusGroup.CLOSED]
        open_work = select(
            *(_count(condition).label(name) for name, condition in conditions.items()),
            *(_count(Ticket.status == s).label(f"status_{s.value}") for s in unfinished),
        ).where(visibility, seldom(Ticket.status.in_(unfinished)))
        this_week = select(
            _count(Ticket.created_at >= today).label("created_today"),
            func.avg(
                case(
                    (
                        Ticket.first_response_at.is_not(None),
                        seconds_between(Ticket.first_response_at, Ticket.created_at),
                    ),
                    else_=None,
                )
            ).label("first_response_seconds"),
        ).where(visibility, Ticket.created_at >= monday, Ticket.created_at < tomorrow)
        resolved_today = (
            select(func.count())
            .select_from(Ticket)
            .where(
                visibility,
                Ticket.status.in_([Status.RESOLVED, Status.CLOSED]),
                Ticket.resolved_at >= today,
                Ticket.resolved_at < tomorrow,
            )
        )
        with self.reading() as uow:
            session = uow.session
            row = {
                **session.execute(open_work).one()._mapping,
                **session.execute(this_week).one()._mapping,
                "resolved_today": session.scalar(resolved_today) or 0,
            }
            queues = {
                name: DashboardQueue(
                    count=int(row[name]),
                    tickets=listing.summaries(
                        session, actor, [visibility, conditions[name]], query
                    ),
                )
                for name, (query, _) in panels.items()
            }
        seconds = row["first_response_seconds"]
        return DashboardOut(
            **queues,
            by_status={s: int(row[f"status_{s.value}"]) for s in unfinished},
            created_today=int(row["created_today"]),
            resolved_today=int(row["resolved_today"]),
            avg_first_response_week=None if seconds is None else timedelta(seconds=round(seconds)),
        )
