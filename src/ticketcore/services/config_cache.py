"""The configuration every new ticket reads, kept in memory between transactions.

Opening a ticket reads the default team and the active SLA policies with their calendars. An
admin changes them a few times a year, yet loading them through the ORM cost every creation 4%
of its instructions. So each helpdesk keeps a copy, with the configuration version it was read
at: the `config` row of `ticketcore_counters`, which every flush that adds, changes or deletes a
team, an SLA policy or a calendar raises in its own transaction (`watch`). A transaction reads
the version once (one plain SELECT) and uses the copy while it is current: another process's
edit is seen by the first ticket opened after it commits.

Rows edited outside ticketcore (SQL by hand) are not noticed until the version moves:
`UPDATE ticketcore_counters SET value = value + 1 WHERE name = 'config'`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    UOWTransaction,
    joinedload,
    sessionmaker,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..models import Calendar, Counter, SlaPolicy, Team
from ..models.base import table_of
from ..sla.policy import TicketLike, choose_policy
from .inserting import attach_loaded

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

_WATCHED = (Team, SlaPolicy, Calendar)
_COUNTER_NAME = "config"

_COUNTERS = table_of(Counter)
_VERSION = select(_COUNTERS.c.value).where(_COUNTERS.c.name == _COUNTER_NAME)
_RAISE = (
    update(_COUNTERS).where(_COUNTERS.c.name == _COUNTER_NAME).values(value=_COUNTERS.c.value + 1)
)
_DEFAULT_TEAM = select(Team).where(Team.is_default.is_(True))
_ACTIVE_POLICIES = (
    select(SlaPolicy).where(SlaPolicy.is_active.is_(True)).options(joinedload(SlaPolicy.calendar))
)
# Round-robin moves it with every ticket, by a plain UPDATE: never part of the copy.
_NOT_KEPT = frozenset({"last_assigned_user_id"})
_IN_UOW = "ticketcore.config"  # uow.state: the copy this transaction uses
_KEPT = "ticketcore.config.kept"  # helpdesk.__dict__: the copy kept between transactions


@dataclass(frozen=True)
class _Row:
    """One row's column values, attached to a session as if the session had loaded it."""

    model: type[Any]
    values: dict[str, Any]

    def attach(self, session: Session) -> Any:
        found = session.identity_map.get(identity_key(self.model, self.values["id"]))
        if found is not None:
            return found
        obj = self.model.__mapper__.class_manager.new_instance()
        attach_loaded(session, obj, self.values.items())
        return obj

    @classmethod
    def of(cls, obj: Any) -> _Row:
        columns = inspect(obj).mapper.column_attrs
        values = {c.key: getattr(obj, c.key) for c in columns if c.key not in _NOT_KEPT}
        return cls(type(obj), values)


@dataclass(frozen=True)
class Snapshot:
    version: int | None
    team: _Row | None
    # Detached, for `choose_policy` to compare (their columns are loaded); a chosen one is
    # attached to the asking session from its row, with its calendar's.
    policies: tuple[SlaPolicy, ...]
    rows: dict[int, tuple[_Row, _Row | None]]

    @property
    def default_team_id(self) -> int | None:
        return self.team.values["id"] if self.team is not None else None

    def default_team(self, session: Session) -> Team | None:
        return self.team.attach(session) if self.team is not None else None

    def policy_for(self, session: Session, ticket: TicketLike) -> SlaPolicy | None:
        """The policy `choose_policy` picks for `ticket`, with its calendar, in `session`."""
        chosen = choose_policy(self.policies, ticket)
        if chosen is None:
            return None
        row, calendar_row = self.rows[chosen.id]
        policy: SlaPolicy = row.attach(session)
        if "calendar" not in policy.__dict__:
            calendar = calendar_row.attach(session) if calendar_row is not None else None
            set_committed_value(policy, "calendar", calendar)
        return policy


def current(uow: UnitOfWork) -> Snapshot:
    """The configuration as this transaction sees it: the helpdesk's copy while the version
    has not moved, else a fresh read that becomes the copy."""
    found: Snapshot | None = uow.state.get(_IN_UOW)
    if found is not None:
        return found
    helpdesk = uow.helpdesk
    session = uow.session
    version = session.connection().execute(_VERSION).scalar()
    kept: Snapshot | None = helpdesk.__dict__.get(_KEPT)
    if kept is None or version is None or kept.version != version:
        # Read after the version: a change committed in between makes the copy look older
        # than it is (read again next time), never newer.
        kept = _load(session, version)
        if version is not None:  # without the row, nothing would ever say the copy is stale
            helpdesk.__dict__[_KEPT] = kept
    uow.state[_IN_UOW] = kept
    return kept


def _load(session: Session, version: int | None) -> Snapshot:
    team = session.scalar(_DEFAULT_TEAM)
    policies = tuple(session.scalars(_ACTIVE_POLICIES).unique())
    rows = {
        p.id: (_Row.of(p), _Row.of(p.calendar) if p.calendar is not None else None)
        for p in policies
    }
    return Snapshot(version, _Row.of(team) if team is not None else None, policies, rows)


def watch(makers: sessionmaker[Session]) -> None:
    """Raise the configuration version in every transaction of `makers` that writes a team, a
    policy or a calendar, through the unit of work or a bulk UPDATE or DELETE."""
    event.listen(makers, "before_flush", _before_flush)
    event.listen(makers, "do_orm_execute", _on_execute)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    touched = chain(
        (o for o in chain(session.new, session.deleted) if isinstance(o, _WATCHED)),
        (o for o in session.dirty if isinstance(o, _WATCHED) and _columns_changed(session, o)),
    )
    if next(touched, None) is not None:
        session.connection().execute(_RAISE)


def _columns_changed(session: Session, obj: object) -> bool:
    """A column of the row changed: a team's members are not part of the copy."""
    return session.is_modified(obj, include_collections=False)


def _on_execute(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper  # None for a statement on a plain table (round-robin's UPDATE)
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _WATCHED:
        state.session.connection().execute(_RAISE)
