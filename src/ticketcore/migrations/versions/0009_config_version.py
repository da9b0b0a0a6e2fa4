"""The configuration version: a counter that edits of teams, SLA policies and calendars raise,
so every process knows when its in-memory copy of them is stale (`services.config_cache`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 21:10:00.000000

Frozen history: plain SQLAlchemy types only, never `ticketcore.models` (they keep changing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTERS = sa.table(
    "ticketcore_counters", sa.column("name", sa.String), sa.column("value", sa.Integer)
)


def upgrade() -> None:
    op.bulk_insert(_COUNTERS, [{"name": "config", "value": 0}])


def downgrade() -> None:
    op.execute(_COUNTERS.delete().where(_COUNTERS.c.name == "config"))
