"""ticketcore's tables, made by its own Alembic migrations on the same database, so a site runs
`manage.py migrate` alone. Each ticketcore release that adds an Alembic revision adds a Django
migration here that upgrades to it (a test holds the last one to Alembic's head)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ALEMBIC_REVISION = "0006"
PREVIOUS_REVISION = "base"


def upgrade(apps: Any, schema_editor: Any) -> None:
    from ticketcore_django.conf import migrate_database

    migrate_database(schema_editor.connection.settings_dict, ALEMBIC_REVISION)


def downgrade(apps: Any, schema_editor: Any) -> None:
    from ticketcore_django.conf import migrate_database

    migrate_database(schema_editor.connection.settings_dict, PREVIOUS_REVISION)


class Migration(migrations.Migration):
    # Alembic works on its own connection: Django must not hold a transaction open meanwhile.
    atomic = False
    initial = True
    dependencies = []
    operations = [migrations.RunPython(upgrade, downgrade, atomic=False)]
