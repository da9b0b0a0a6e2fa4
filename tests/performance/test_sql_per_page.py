"""Every portal page costs the same SQL statements on a desk ten times larger (issue 10).

The pages are the benchmark's (`bench/pages.py`): the customer's home, lists and ticket page,
creating a ticket and replying, the agent's dashboard, queues and ticket page, each requested
through Flask's and Django's test clients as the same kind of person on a desk of 300 tickets
and on one of 3,000. A page whose statements grow with the data (a query per row, per
organization, per message) fails here long before anyone notices it in production.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from databases import BACKENDS
from django_harness import set_up_django
from pages import measure
from scaledesk import Desk


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_page_costs_the_same_statements_at_300_and_3000_tickets(
    backend: str, desk_at: Callable[..., Desk]
) -> None:
    set_up_django()  # the suite's Django site; the benchmark's pages run in it as in a host's
    small, large = desk_at(backend, 300), desk_at(backend, 3_000)
    for adapter in ("flask", "django"):
        costs = {
            desk.tickets: {
                page: figures["statements_seen"]
                for page, figures in measure(adapter, desk, requests=2, warmup=1).items()
            }
            for desk in (small, large)
        }
        assert costs[300] == costs[3_000], adapter
        assert all(len(seen) == 1 for seen in costs[300].values()), costs[300]
        assert costs[300]["queue: my teams"] == [costs[300]["queue: mine"][0]]
