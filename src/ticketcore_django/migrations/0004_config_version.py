"""The configuration version counter (Alembic revision 0009), made by ticketcore's own
migrations on the same database, as `0001_ticketcore_tables` explains."""

from __future__ import annotations

from django.db import migrations

from ticketcore_django.conf import alembic_step

ALEMBIC_REVISION = "0009"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("ticketcore", "0003_worklist_index")]
    operations = [alembic_step(ALEMBIC_REVISION, previous="0008")]
