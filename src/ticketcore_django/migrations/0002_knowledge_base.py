"""The knowledge base's tables (Alembic revision 0007), made by ticketcore's own migrations on
the same database, as `0001_ticketcore_tables` explains."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ALEMBIC_REVISION = "0007"
PREVIOUS_REVISION = "0006"


def upgrade(apps: Any, schema_editor: Any) -> None:
    from ticketcore_django.conf import migrate_database

    migrate_database(schema_editor.connection.settings_dict, ALEMBIC_REVISION)


def downgrade(apps: Any, schema_editor: Any) -> None:
    from ticketcore_django.conf import migrate_database

    migrate_database(schema_editor.connection.settings_dict, PREVIOUS_REVISION)


class Migration(migrations.Migration):
    # Alembic works on its own connection: Django must not hold a transaction open meanwhile.
    atomic = False
    dependencies = [("ticketcore", "0001_ticketcore_tables")]
    operations = [migrations.RunPython(upgrade, downgrade, atomic=False)]
