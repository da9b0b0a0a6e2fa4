"""Saved queue views: an agent's named filters, sort and view.

A view is the query string of the ticket list as the agent left it, so opening it is a plain
redirect to the list with those parameters; the list validates them as it always does.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, PermissionDenied
from ..models import SavedView
from ..permissions import Actor
from ..schemas import SavedViewCreate, SavedViewOut, parse
from .base import Service

# Parameters that belong to one visit, not to the view: the page shown and the form's token.
_TRANSIENT = frozenset({"page", "csrf_token"})


class SavedViewService(Service):
    def save(
        self, actor: Actor, name: str, query: Mapping[str, str | builtins.list[str]]
    ) -> SavedViewOut:
        """Save the list's query under `name`; saving a name the agent already uses replaces
        that view's query."""
        user_id = _owner(actor)
        values = parse(SavedViewCreate, None, {"name": name, "query": dict(query)})
        cleaned = _clean(values.query)
        with self.transaction() as uow:
            session = uow.session
            row = session.scalar(
                select(SavedView).where(
                    SavedView.user_id == user_id,
                    func.lower(SavedView.name) == values.name.lower(),
                )
            )
            if row is None:
                row = SavedView(
                    user_id=user_id,
                    name=values.name,
                    query=cleaned,
                    created_at=self.helpdesk.clock.now(),
                )
                session.add(row)
            else:
                row.name = values.name
                row.query = cleaned
            try:
                session.flush()
            except IntegrityError:  # the same name saved twice at once (a double click)
                raise Conflict(f"a view called {values.name!r} was just saved; try again") from None
            return SavedViewOut.model_validate(row)

    def list(self, actor: Actor) -> builtins.list[SavedViewOut]:
        user_id = _owner(actor)
        with self.reading() as uow:
            rows = uow.session.scalars(select(SavedView).where(SavedView.user_id == user_id))
            # Sorted here: databases disagree on how capitals and accents sort.
            ordered = sorted(rows, key=lambda r: (r.name.casefold(), r.name))
            return [SavedViewOut.model_validate(r) for r in ordered]

    def get(self, actor: Actor, view_id: int) -> SavedViewOut:
        user_id = _owner(actor)
        with self.reading() as uow:
            return SavedViewOut.model_validate(_load(uow.session, user_id, view_id))

    def delete(self, actor: Actor, view_id: int) -> None:
        user_id = _owner(actor)
        with self.transaction() as uow:
            uow.session.delete(_load(uow.session, user_id, view_id))


def _owner(actor: Actor) -> int:
    """Views belong to one staff member; customers, guests and the system have none."""
    if not actor.is_staff or actor.user_id is None:
        raise PermissionDenied("saved views are for agents")
    return actor.user_id


def _load(session: Session, user_id: int, view_id: int) -> SavedView:
    """The agent's own view; another agent's is as missing as one that never existed."""
    row = session.scalar(
        select(SavedView).where(SavedView.id == view_id, SavedView.user_id == user_id)
    )
    if row is None:
        raise NotFound(f"no saved view {view_id}")
    return row


def _clean(query: Mapping[str, str | builtins.list[str]]) -> dict[str, str | builtins.list[str]]:
    cleaned: dict[str, str | builtins.list[str]] = {}
    for key, value in query.items():
        if key in _TRANSIENT:
            continue
        if isinstance(value, str):
            if value:
                cleaned[key] = value
        elif kept := [v for v in value if v]:
            cleaned[key] = kept
    return cleaned
