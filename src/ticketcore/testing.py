"""Helpers for testing a host site or a plugin against a real ticketcore (public API).

from ticketcore.testing import make_helpdesk
hd = make_helpdesk(tmp_path, plugins=[MyPlugin()])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .clock import FakeClock
from .helpdesk import Helpdesk
from .settings import Settings

__all__ = ["FakeClock", "make_helpdesk", "temporary_plugin"]


def make_helpdesk(
    directory: str | Path,
    *,
    database_url: str | None = None,
    clock: FakeClock | None = None,
    plugins: tuple[Any, ...] | list[Any] = (),
    **settings: Any,
) -> Helpdesk:
    """A helpdesk with its tables created, a fake clock, and files under `directory`.

    Installed plugins are not loaded, so a test sees only the `plugins` it names.
    """
    directory = Path(directory)
    helpdesk = Helpdesk(
        Settings(
            database_url=database_url or f"sqlite:///{directory / 'ticketcore.db'}",
            attachments_dir=str(directory / "attachments"),
            **settings,
        ),
        clock=clock or FakeClock(),
        plugins=plugins,
        load_entrypoints=False,
    )
    helpdesk.create_tables()
    return helpdesk


@contextlib.contextmanager
def temporary_plugin(helpdesk: Helpdesk, plugin: Any) -> Iterator[Any]:
    """Register `plugin` for the duration of a `with` block."""
    helpdesk.plugins.register(plugin)
    try:
        yield plugin
    finally:
        helpdesk.plugins.unregister(plugin)
