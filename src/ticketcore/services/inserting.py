"""Writing a new row at once, outside the unit of work's flush, for the rows every request adds.

Opening a ticket writes a ticket and its first message; a reply writes a message. Through the
ORM's flush the ticket and its message took 1.4 ms on SQLite at 100,000 tickets, nine tenths of
it sorting, cascading and history keeping rather than the database's work. `insert_now` writes the row with one `INSERT … RETURNING` and
attaches the object to the session as if it had been loaded: the documented
`make_transient_to_detached` path, so it is persistent, its relationships stay as they were set,
and what it cascades to (a ticket's CC rows, a message's attachments) goes in at the next flush.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import MANYTOONE, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value


def insert_now(session: Session, obj: Any) -> None:
    """INSERT the new `obj` now and make it persistent in `session`.

    Column values come from what is set on `obj`, foreign keys from the many-to-one
    relationships set on it (as a flush would take them), everything else from the column
    defaults; the row the database returns becomes the object's loaded state. A database
    without `INSERT … RETURNING` (MySQL) gets the ordinary flush.
    """
    state = inspect(obj)
    if state.persistent or not _returns_rows(session):
        session.add(obj)  # (persistent: a plugin's query flushed it already)
        session.flush()
        return
    if state.pending:  # added already, for others to find it: written here, not by a flush
        session.expunge(obj)
    mapper = state.mapper
    table = mapper.local_table
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        if prop.key in state.dict:
            values[prop.columns[0].key] = state.dict[prop.key]
    for relationship in mapper.relationships:
        if (
            relationship.direction is MANYTOONE
            and not relationship.viewonly
            and relationship.key in state.dict
        ):
            target = state.dict[relationship.key]  # persistent: its key is known
            for local, remote in relationship.local_remote_pairs:
                values[local.key] = None if target is None else _value(target, remote)
    row = session.execute(_insert_returning(table), values).one()
    for prop in mapper.column_attrs:
        set_committed_value(obj, prop.key, row._mapping[prop.columns[0]])
    make_transient_to_detached(obj)
    session.add(obj)


def _returns_rows(session: Session) -> bool:
    return bool(session.get_bind().dialect.insert_returning)


@functools.cache
def _insert_returning(table: Table) -> Insert:
    """Built once per table: SQLAlchemy then reuses its compiled form for each set of columns."""
    return insert(table).returning(*table.c)


def _value(obj: Any, column: Any) -> Any:
    return getattr(obj, inspect(obj).mapper.get_property_by_column(column).key)
