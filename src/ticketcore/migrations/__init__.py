"""ticketcore's Alembic environment; run it with `ticketcore.migrate`, not the `alembic` command.

`versions/` holds the revision files. They are frozen history: they use plain SQLAlchemy types
and never import `ticketcore.models`, which keep changing after a revision is written.
"""
