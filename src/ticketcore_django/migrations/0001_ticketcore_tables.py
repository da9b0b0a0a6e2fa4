"""ticketcore's tables, made by its own Alembic migrations on the same database, so a site runs
`manage.py migrate` alone. Each ticketcore release that adds an Alembic revision adds a Django
migration here that upgrades to it (a test holds the last one to Alembic's head)."""

from __future__ import annotations

from django.db import migrations

from ticketcore_django.conf import alembic_step

ALEMBIC_REVISION = "0006"


class Migration(migrations.Migration):
    atomic = False
    initial = True
    dependencies = []
    operations = [alembic_step(ALEMBIC_REVISION, previous="base")]
