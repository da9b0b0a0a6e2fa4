"""Scale desks for the performance tests, made with the benchmark's own code (bench/), so the
pages and the people the tests measure are exactly those `bench/run.py` times."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from databases import server_database
from ticketcore import Helpdesk, Settings
from ticketcore.scale import load_scale_data

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from scaledesk import SECRET, Desk, desk_of

SMALL_POPULATION = {"customers": 100, "organizations": 10, "agents": 6, "teams": 3}


def make_desk(url: str, files: Path, tickets: int, population: dict[str, int]) -> Desk:
    """A scale desk of `tickets` with the given population (`load_scale_data`'s keywords)."""
    settings = Settings(database_url=url, attachments_dir=str(files), secret_key=SECRET)
    with Helpdesk(settings, load_entrypoints=False) as helpdesk:
        helpdesk.upgrade_database()
        load_scale_data(helpdesk, tickets, **population)
    return desk_of(url, str(files), tickets)


@pytest.fixture
def desk_at(tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    """`desk_at(backend, tickets, population)`: a new desk in a database of its own, dropped
    afterwards; by default with a small population, so each customer and agent has tens of
    tickets at a few thousand (the scale data's own is `{}`: 2,000 customers, 20 agents)."""
    with contextlib.ExitStack() as stack:

        def make(backend: str, tickets: int, population: dict[str, int] | None = None) -> Desk:
            files = tmp_path / f"files-{backend}-{tickets}"
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path / f'desk-{tickets}.db'}"
            else:
                url = stack.enter_context(server_database(backend))
            chosen = SMALL_POPULATION if population is None else population
            return make_desk(url, files, tickets, chosen)

        yield make
