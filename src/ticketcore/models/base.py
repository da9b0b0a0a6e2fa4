"""The declarative base and the column types every model shares.

Tables are prefixed `ticketcore_` so they can sit inside a host's own database, and the
`MetaData` carries a naming convention so Alembic migrations name constraints the same way on
SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime, Dialect, Integer, MetaData, String, Table, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    Stored as naive UTC so SQLite, PostgreSQL and MariaDB agree; MariaDB gets microseconds
    (`DATETIME(6)`), without which rapid events would share a timestamp and lose their order.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to ticketcore; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class IntEnumType(TypeDecorator[enum.IntEnum]):
    """An `IntEnum` stored as its integer, so ORDER BY sorts by rank and an index can serve it."""

    impl = Integer
    cache_ok = True

    def __init__(self, enum_class: type[enum.IntEnum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(self.enum_class(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.IntEnum | None:
        return None if value is None else self.enum_class(value)


class StrEnumType(TypeDecorator[enum.StrEnum]):
    """A `StrEnum` stored as its short string value (readable in SQL, no native ENUM to migrate)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.StrEnum | None:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements on rows the ORM need not track (a counter, lines of
    the audit trail, outbox rows): a plain INSERT or UPDATE skips the unit of work's bookkeeping."""
    return cast(Table, model.__table__)
