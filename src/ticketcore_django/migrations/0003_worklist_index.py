"""The agents' worklist index on tickets (Alembic revision 0008), made by ticketcore's own
migrations on the same database, as `0001_ticketcore_tables` explains."""

from __future__ import annotations

from django.db import migrations

from ticketcore_django.conf import alembic_step

ALEMBIC_REVISION = "0008"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("ticketcore", "0002_knowledge_base")]
    operations = [alembic_step(ALEMBIC_REVISION, previous="0007")]
