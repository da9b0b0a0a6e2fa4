"""The knowledge base's tables (Alembic revision 0007), made by ticketcore's own migrations on
the same database, as `0001_ticketcore_tables` explains."""

from __future__ import annotations

from django.db import migrations

from ticketcore_django.conf import alembic_step

ALEMBIC_REVISION = "0007"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("ticketcore", "0001_ticketcore_tables")]
    operations = [alembic_step(ALEMBIC_REVISION, previous="0006")]
