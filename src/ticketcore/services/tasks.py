"""Tasks agents link to tickets: a due date and a done flag, seen from both sides.

Tasks are staff work, so every agent sees every task; the tickets a task shows are filtered by
the ticket visibility query, so a task never reveals a ticket outside the agent's reach.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models import Task, Ticket, TicketTask
from ..permissions import Action, Actor
from ..schemas import TaskCreate, TaskOut, TaskTicketRef, TaskUpdate, parse
from .base import Service
from .changes import audit
from .convert import person
from .unit_of_work import UnitOfWork

_DUE_ORDER = (Task.due_on.is_(None), Task.due_on, Task.id)  # undated tasks last


class TaskService(Service):
    def create(
        self, actor: Actor, data: TaskCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> TaskOut:
        """Add a task; with `ticket` it is linked to that ticket in the same transaction."""
        _require_staff(actor)
        values = parse(TaskCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            ticket = (
                self._ticket_to_change(session, actor, values.ticket)
                if values.ticket is not None
                else None
            )
            now = self.helpdesk.clock.now()
            task = Task(
                title=values.title,
                due_on=values.due_on,
                done=False,
                created_by_id=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(task)
            session.flush()
            if ticket is not None:
                self._link(uow, actor, task, ticket)
            session.flush()
            return self._out(session, actor, task)

    def update(
        self,
        actor: Actor,
        task_id: int,
        data: TaskUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TaskOut:
        """Change the title, due date or done flag; only the fields given are touched."""
        _require_staff(actor)
        values = parse(TaskUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            task = _task(session, task_id, for_update=True)
            now = self.helpdesk.clock.now()
            changed = False
            if values.title is not None and values.title != task.title:
                task.title = values.title
                changed = True
            if "due_on" in given and values.due_on != task.due_on:
                task.due_on = values.due_on
                changed = True
            if values.done is not None and values.done != task.done:
                task.done = values.done
                task.done_at = now if values.done else None
                changed = True
            if changed:
                task.updated_at = now
            session.flush()
            return self._out(session, actor, task)

    def link(self, actor: Actor, task_id: int, ticket_id: int) -> TaskOut:
        """Link a task to a ticket the actor may change; linking twice changes nothing."""
        _require_staff(actor)
        with self.transaction() as uow:
            session = uow.session
            task = _task(session, task_id, for_update=True)
            ticket = self._ticket_to_change(session, actor, ticket_id)
            if _link_row(session, task, ticket) is None:
                self._link(uow, actor, task, ticket)
                session.flush()
            return self._out(session, actor, task)

    def unlink(self, actor: Actor, task_id: int, ticket_id: int) -> TaskOut:
        _require_staff(actor)
        with self.transaction() as uow:
            session = uow.session
            task = _task(session, task_id, for_update=True)
            ticket = self._ticket_to_change(session, actor, ticket_id)
            row = _link_row(session, task, ticket)
            if row is None:
                raise InvalidInput("this task is not linked to that ticket", field="ticket")
            session.delete(row)
            task.updated_at = self.helpdesk.clock.now()
            audit(uow, actor, ticket, "task_unlinked", _field(task), task.title, None)
            session.flush()
            return self._out(session, actor, task)

    def get(self, actor: Actor, task_id: int) -> TaskOut:
        _require_staff(actor)
        with self.reading() as uow:
            return self._out(uow.session, actor, _task(uow.session, task_id))

    def list(self, actor: Actor, *, done: bool | None = False) -> builtins.list[TaskOut]:
        """Open tasks by default (`done=True`: finished ones, `None`: all), soonest due first.

        Two SQL statements however many tasks and links there are.
        """
        _require_staff(actor)
        wanted = [] if done is None else [Task.done == done]
        with self.reading() as uow:
            tasks = (
                uow.session.scalars(
                    select(Task)
                    .where(*wanted)
                    .options(joinedload(Task.created_by))
                    .order_by(*_DUE_ORDER)
                )
                .unique()
                .all()
            )
            links = TicketTask.task_id.in_(select(Task.id).where(*wanted))
            return self._outs(uow.session, actor, tasks, links)

    def for_ticket(self, actor: Actor, ticket_id: int) -> builtins.list[TaskOut]:
        """The tasks linked to a ticket the actor may see, done or not, soonest due first."""
        _require_staff(actor)
        with self.reading() as uow:
            session = uow.session
            ticket = self.helpdesk.tickets.seen(session, actor, ticket_id)
            linked = select(TicketTask.task_id).where(TicketTask.ticket_id == ticket.id)
            tasks = (
                session.scalars(
                    select(Task)
                    .where(Task.id.in_(linked))
                    .options(joinedload(Task.created_by))
                    .order_by(*_DUE_ORDER)
                )
                .unique()
                .all()
            )
            return self._outs(session, actor, tasks, TicketTask.task_id.in_(linked))

    # ------------------------------------------------------------ helpers

    def _ticket_to_change(self, session: Session, actor: Actor, ticket_id: int) -> Ticket:
        tickets = self.helpdesk.tickets
        ticket = tickets.load(session, actor, ticket_id)
        tickets.require(actor, ticket, Action.UPDATE)
        return ticket

    def _link(self, uow: UnitOfWork, actor: Actor, task: Task, ticket: Ticket) -> None:
        # The ticket's updated_at stays: customers see it, and tasks are staff business.
        now = self.helpdesk.clock.now()
        uow.session.add(TicketTask(ticket_id=ticket.id, task_id=task.id, linked_at=now))
        task.updated_at = now
        audit(uow, actor, ticket, "task_linked", _field(task), None, task.title)

    def _out(self, session: Session, actor: Actor, task: Task) -> TaskOut:
        return self._outs(session, actor, [task], TicketTask.task_id == task.id)[0]

    def _outs(
        self,
        session: Session,
        actor: Actor,
        tasks: Sequence[Task],
        links: ColumnElement[bool],
    ) -> builtins.list[TaskOut]:
        """Snapshots of `tasks`, with the tickets of the `links` rows that `actor` may see,
        fetched in one statement."""
        if not tasks:
            return []
        rows = session.execute(
            select(
                TicketTask.task_id,
                Ticket.id,
                Ticket.number,
                Ticket.track_id,
                Ticket.subject,
                Ticket.status,
            )
            .join(Ticket, Ticket.id == TicketTask.ticket_id)
            .where(links, self.helpdesk.tickets.visibility(actor))
            .order_by(TicketTask.task_id, Ticket.number)
        ).all()
        tickets: dict[int, builtins.list[TaskTicketRef]] = {}
        for task_id, ticket_id, number, track_id, subject, status in rows:
            tickets.setdefault(task_id, []).append(
                TaskTicketRef(
                    id=ticket_id, number=number, track_id=track_id, subject=subject, status=status
                )
            )
        today = self.helpdesk.clock.now().date()
        return [_task_out(task, tickets.get(task.id, []), today) for task in tasks]


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("tasks are for staff")


def _task(session: Session, task_id: int, *, for_update: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id).options(selectinload(Task.created_by))
    if for_update:  # link, unlink and edits of one task queue up instead of racing
        query = query.with_for_update()
    task = session.scalar(query)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _link_row(session: Session, task: Task, ticket: Ticket) -> TicketTask | None:
    return session.get(TicketTask, {"ticket_id": ticket.id, "task_id": task.id})


def _field(task: Task) -> str:
    return f"task.{task.id}"


def _task_out(task: Task, tickets: list[TaskTicketRef], today: date) -> TaskOut:
    return TaskOut(
        id=task.id,
        title=task.title,
        due_on=task.due_on,
        done=task.done,
        done_at=task.done_at,
        overdue=not task.done and task.due_on is not None and task.due_on < today,
        created_at=task.created_at,
        created_by=person(task.created_by, show_email=True),
        tickets=tickets,
    )
